import { channelContract } from "../contract.ts";
import { startHarness } from "./contract-harness.ts";

channelContract("whatsapp", startHarness, { allowed: "alice", stranger: "bob" });
