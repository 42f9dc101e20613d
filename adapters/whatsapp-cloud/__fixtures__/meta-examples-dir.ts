/** Meta's Cloud API examples, copied into the repository (see meta-cloud-api/README.md). */
export const META_EXAMPLES_DIR = new URL('./meta-cloud-api/examples/', import.meta.url);
