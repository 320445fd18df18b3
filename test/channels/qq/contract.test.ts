import { channelContract } from "../contract.ts";
import { startHarness } from "./contract-harness.ts";

channelContract("qq", startHarness, { allowed: "alice", stranger: "bob" });
