// Packages installed on demand instead of as devDependencies, so a plain `npm install` stays small:
// `npm run bench` installs @tensorflow/tfjs-backend-wasm itself (package.json "bench"). This fallback lets
// `tsc -p tsconfig.json` (run by `npm test`) type-check bench/ without it.
declare module "@tensorflow/tfjs-backend-wasm";
