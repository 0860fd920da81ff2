export {
  startAgent,
  AGENT_VERSION,
  AGENT_KINDS,
  DEFAULT_AGENT_SOCKET,
  DEFAULT_AGENT_METRICS,
  type AgentOptions,
} from './agent';
