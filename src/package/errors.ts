/** A package (or an archive claiming to be one) is malformed, hostile or fails a check. */
export class PackageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackageError';
  }
}
