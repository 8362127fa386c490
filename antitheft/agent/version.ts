/** The agent's version; the download route reads it from the bundle (the line below is kept as it is by esbuild). */
export const VIGIL_AGENT_VERSION = '0.1.0';
export const AGENT_VERSION = VIGIL_AGENT_VERSION;
