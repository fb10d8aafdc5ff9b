import { runStoreContract } from "./store-contract.ts";

runStoreContract("postgres");
