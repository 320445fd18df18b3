// Types of bin/state-home.js (plain JavaScript: bin/switchboard.js loads it before any TypeScript).
export declare function expandHome(p: string, home?: string): string;
export declare function stateHome(env: NodeJS.ProcessEnv): string;
