// The StatelessNF VM image: build (cached by input hash), find, upload. See docs/image.md.
export { buildImage, findBuiltImage, computeFacts, inputHash, imageDir, MIN_RAM_MB, type ImageFacts, type BuiltImage, type BuildOptions, type BuildResult } from './build.js';
export { uploadImage, type UploadOptions } from './upload.js';
export { cacheRoot, productVersion } from './paths.js';
export { ImageError } from './errors.js';
