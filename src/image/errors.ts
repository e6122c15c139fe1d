// A failure of `snf image ...` the operator can act on (missing tool, unbuilt addon, bad input).
export class ImageError extends Error {
  override readonly name = 'ImageError';
}
