import { runStoreContract } from "./store-contract.ts";

runStoreContract("sqlite");
