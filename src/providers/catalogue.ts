// The vendors Switchboard knows by `model` prefix: where each one lives and
// which wire protocol it speaks. A prefix that is not here is part of the
// model id, sent on the default OpenAI-compatible protocol.
import type { Protocol } from "./types.ts";

export interface Vendor {
  prefix: string;
  name: string;
  /** default base URL; "" when the user must give one (e.g. Azure's resource host) */
  apiBase: string;
  protocol: Protocol;
  /** environment variable read for a key when the config has none */
  keyEnv?: string;
  /** false for local servers that take no key */
  needsKey: boolean;
  /** set for vendors whose authentication Switchboard cannot perform */
  unsupported?: string;
}

const v = (prefix: string, name: string, apiBase: string, keyEnv?: string, protocol: Protocol = "openai"): Vendor => ({
  prefix,
  name,
  apiBase,
  protocol,
  needsKey: keyEnv !== undefined,
  ...(keyEnv ? { keyEnv } : {}),
});

const PROXY_HINT = "run an OpenAI-compatible proxy in front of it (e.g. LiteLLM) and use a litellm/ or openai/ entry with that api_base";

/** prefix, name, why it cannot be called */
const UNSUPPORTED: [string, string, string][] = [
  ["antigravity", "Antigravity (Google Cloud Code Assist)", `Antigravity signs in with Google OAuth only and is not supported; ${PROXY_HINT}`],
  ["github-copilot", "GitHub Copilot", `GitHub Copilot speaks gRPC through its local agent and is not supported; ${PROXY_HINT}`],
  ["copilot", "GitHub Copilot", `GitHub Copilot speaks gRPC through its local agent and is not supported; ${PROXY_HINT}`],
  ["bedrock", "Amazon Bedrock", `Amazon Bedrock needs AWS request signing and is not supported; ${PROXY_HINT}`],
  ["claude-cli", "Claude CLI", "the Claude CLI provider runs a local program and is not supported; use anthropic/ or anthropic-messages/ with an API key (`switchboard auth login --provider anthropic`)"],
  ["claudecli", "Claude CLI", "the Claude CLI provider runs a local program and is not supported; use anthropic/ or anthropic-messages/ with an API key (`switchboard auth login --provider anthropic`)"],
  ["codex-cli", "Codex CLI", "the Codex CLI provider runs a local program and is not supported; use openai/ with an API key (`switchboard auth login --provider openai`)"],
  ["codexcli", "Codex CLI", "the Codex CLI provider runs a local program and is not supported; use openai/ with an API key (`switchboard auth login --provider openai`)"],
];

const VENDORS: Vendor[] = [
  v("openai", "OpenAI", "https://api.openai.com/v1", "OPENAI_API_KEY"),
  // `anthropic/` speaks Anthropic's OpenAI-compatible endpoint; `anthropic-messages/` the native one.
  v("anthropic", "Anthropic", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY"),
  v("anthropic-messages", "Anthropic Messages API", "https://api.anthropic.com", "ANTHROPIC_API_KEY", "anthropic"),
  v("zhipu", "Zhipu AI (GLM)", "https://open.bigmodel.cn/api/paas/v4", "ZHIPU_API_KEY"),
  v("zai-coding", "Z.AI Coding Plan", "https://api.z.ai/api/coding/paas/v4", "ZAI_API_KEY"),
  v("deepseek", "DeepSeek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"),
  // Google serves its OpenAI-compatible API under /v1beta/openai.
  v("gemini", "Google Gemini", "https://generativelanguage.googleapis.com/v1beta/openai", "GEMINI_API_KEY"),
  v("groq", "Groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
  v("moonshot", "Moonshot (Kimi)", "https://api.moonshot.cn/v1", "MOONSHOT_API_KEY"),
  v("qwen", "Qwen (DashScope)", "https://dashscope.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY"),
  v("nvidia", "NVIDIA NIM", "https://integrate.api.nvidia.com/v1", "NVIDIA_API_KEY"),
  v("ollama", "Ollama", "http://localhost:11434/v1"),
  v("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
  v("litellm", "LiteLLM Proxy", "http://localhost:4000/v1", "LITELLM_API_KEY"),
  v("vllm", "vLLM", "http://localhost:8000/v1"),
  v("cerebras", "Cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY"),
  v("volcengine", "VolcEngine (Doubao)", "https://ark.cn-beijing.volces.com/api/v3", "ARK_API_KEY"),
  v("shengsuanyun", "Shengsuanyun", "https://router.shengsuanyun.com/api/v1", "SHENGSUANYUN_API_KEY"),
  v("byteplus", "BytePlus", "https://ark.ap-southeast.bytepluses.com/api/v3", "BYTEPLUS_API_KEY"),
  v("vivgrid", "Vivgrid", "https://api.vivgrid.com/v1", "VIVGRID_API_KEY"),
  v("longcat", "LongCat", "https://api.longcat.chat/openai", "LONGCAT_API_KEY"),
  v("modelscope", "ModelScope", "https://api-inference.modelscope.cn/v1", "MODELSCOPE_API_KEY"),
  v("mimo", "Xiaomi MiMo", "https://api.xiaomimimo.com/v1", "MIMO_API_KEY"),
  v("avian", "Avian", "https://api.avian.io/v1", "AVIAN_API_KEY"),
  v("mistral", "Mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"),
  v("minimax", "MiniMax", "https://api.minimaxi.com/v1", "MINIMAX_API_KEY"),
  v("venice", "Venice AI", "https://api.venice.ai/api/v1", "VENICE_API_KEY"),
  v("lmstudio", "LM Studio", "http://localhost:1234/v1"),
  v("novita", "Novita AI", "https://api.novita.ai/openai", "NOVITA_API_KEY"),
  // Alibaba DashScope's other regions and its Coding Plan (PicoClaw's prefixes, several spellings each)
  ...["qwen-intl", "qwen-international", "dashscope-intl"].map((p) =>
    v(p, "Qwen (DashScope international)", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY"),
  ),
  ...["qwen-us", "dashscope-us"].map((p) => v(p, "Qwen (DashScope US)", "https://dashscope-us.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY")),
  ...["coding-plan", "alibaba-coding", "qwen-coding"].map((p) =>
    v(p, "Alibaba Coding Plan", "https://coding-intl.dashscope.aliyuncs.com/v1", "DASHSCOPE_API_KEY"),
  ),
  ...["coding-plan-anthropic", "alibaba-coding-anthropic"].map((p) =>
    v(p, "Alibaba Coding Plan (Anthropic API)", "https://coding-intl.dashscope.aliyuncs.com/apps/anthropic", "DASHSCOPE_API_KEY", "anthropic"),
  ),
  v("azure", "Azure OpenAI", "", "AZURE_OPENAI_API_KEY", "azure"),
  v("azure-openai", "Azure OpenAI", "", "AZURE_OPENAI_API_KEY", "azure"),
  // Recognized so a config naming them gets a clear answer instead of an
  // "unknown prefix" error; none of them can be called here.
  ...UNSUPPORTED.map(([prefix, name, why]) => ({ ...v(prefix, name, ""), unsupported: why })),
];

const BY_PREFIX = new Map(VENDORS.map((x) => [x.prefix, x]));

/** The OpenAI vendor: the protocol and base used when a reference has no known prefix. */
export const DEFAULT_VENDOR: Vendor = BY_PREFIX.get("openai")!;

export function vendors(): readonly Vendor[] {
  return VENDORS;
}

export function vendor(prefix: string): Vendor | undefined {
  return BY_PREFIX.get(prefix);
}

export interface ModelRef {
  /** the known routing prefix, or "" when the reference has none */
  vendor: string;
  /** what is sent on the wire */
  modelId: string;
}

/**
 * Splits `vendor/model-id`. Only the outer routing prefix is stripped:
 * `litellm/openai/gpt-4o` sends `openai/gpt-4o`; `custom/model` (an unknown
 * prefix) sends `custom/model`.
 */
export function parseModelRef(model: string): ModelRef {
  const slash = model.indexOf("/");
  if (slash > 0) {
    const prefix = model.slice(0, slash).toLowerCase();
    if (BY_PREFIX.has(prefix)) return { vendor: prefix, modelId: model.slice(slash + 1) };
  }
  return { vendor: "", modelId: model };
}

/** True for base URLs of Azure OpenAI resources, whatever prefix the model has. */
export function isAzureBase(apiBase: string): boolean {
  try {
    const host = new URL(apiBase).hostname.toLowerCase();
    return host.endsWith(".openai.azure.com") || host.endsWith(".cognitiveservices.azure.com");
  } catch {
    return false;
  }
}
