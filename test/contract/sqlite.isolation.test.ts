import { runIsolationContract } from "./isolation-contract.ts";

runIsolationContract("sqlite");
