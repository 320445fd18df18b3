// Types of bin/bundle.js (plain JavaScript: the bundled start loads no TypeScript).
export declare const MANIFEST_VERSION: number;
export declare function checkBundle(root: string, dir: string): { entry: string } | { stale: string };
export declare function chooseEntry(root: string, env: NodeJS.ProcessEnv): { entry: string; bundle: boolean; notice?: string };
