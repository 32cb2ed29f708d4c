/**
 * @module Public surface of the risk monitoring engine. Other domains call `createRiskEngine(...)`
 * once and then `assess(event)` on sign-in, withdrawal request and P2P order placement (decision
 * allow | review | block with reasons), and `ingest(event)` for everything else (alerts only).
 * Cases Bulwark opens on its own (a held deposit, a duplicate document) go through
 * `openSystemCase(executor, …)`. The NATS scale-out lives in `./scaleout.ts` (imported on its own: it loads the NATS client).
 */
export { type BacktestResult, backtestRules } from './backtest.ts'
export { type BehaviourModel, loadBehaviourModel } from './behaviour.ts'
export { trainBehaviour } from './behaviour-train.ts'
export {
  type CaseLink,
  type CaseReason,
  heldDepositCase,
  type OpenSystemCaseParameters,
  type OpenSystemCaseResult,
  openSystemCase,
  type SystemCaseSource,
  screeningReasons,
} from './cases.ts'
export { type Alert, createRiskEngine, type RiskEngine, type RiskEngineOptions } from './engine.ts'
export { createEvmBlockSource, type EvmBlockSourceOptions } from './evm-source.ts'
export { FEATURE_NAMES, type FeatureName, type Features } from './features.ts'
export { type AddressExposure, createTransactionGraph, propagateRisk, type SeedLabel } from './propagation.ts'
export { recordAssessedEvent } from './record.ts'
export {
  type CompiledRuleSet,
  compileRules,
  loadRuleFile,
  type RuleSetDocument,
  watchRuleFile,
} from './rules.ts'
export {
  type Decision,
  EVENT_SCHEMA_VERSION,
  parseRiskEvent,
  type Reason,
  type RiskEvent,
  type RiskEventInput,
  type RiskEventType,
  riskEventSchema,
} from './schema.ts'

export { loadSeedLists } from './seeds.ts'

/** The bundled default rule file (JSON), for `loadRuleFile(defaultRulesPath)`. */
export const defaultRulesPath = new URL('./default-rules.json', import.meta.url).pathname
