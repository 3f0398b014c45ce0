// OCI images of artifacts: built without `docker build` (deterministic layers), pushed by digest.
export { buildImage, blobPath, ANNOTATION_ARTIFACT, IMAGE_PATH, type BuiltImage, type BuildImageInput, type ArtifactUnpacker } from './build.js';
export { pushImage, fetchManifest, registryProblem, type RegistryTarget } from './registry.js';
export { baseRootFiles, parseLdd, type RootFile } from './base-root.js';
export { recordImage, createImageResolver, type ImageResolverOptions } from './records.js';
export { createImages, registryScheme, type ImagesOptions } from './images.js';
