// Worker threads do not inherit tsx's loader from execArgv on Node 20: the worker registers it itself.
import { register } from "tsx/esm/api";

register();
await import("./rank-worker.ts");
