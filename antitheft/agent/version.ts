/** The agent's version; the build writes it into the bundle's first lines, where the download route reads it. */
export const VIGIL_AGENT_VERSION = '0.1.0';
export const AGENT_VERSION = VIGIL_AGENT_VERSION;
