import { channelContract } from "../contract.ts";
import { startHarness } from "./contract-harness.ts";

channelContract("feishu", startHarness, { allowed: "alice", stranger: "bob" });
