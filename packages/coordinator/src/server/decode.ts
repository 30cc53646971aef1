import { decodeMessage, LossReport, type Decoded } from '@lrsweep/shared';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const KINDS = new Set(['search', 'final', 'range-test']);
const decoder = new TextDecoder();

const isId = (v: unknown): v is string => typeof v === 'string' && ID.test(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A number, or a non-finite number's string form; undefined for anything else. */
function finiteOrNot(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  return v === 'NaN' || v === 'Infinity' || v === '-Infinity' ? Number(v) : undefined;
}

/**
 * The loss report in `raw` when it has the plain shape workers send (each field checked as the
 * zod schema does, unknown fields dropped as it does); undefined for anything else.
 */
function plainLossReport(raw: unknown): LossReport | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  const { sweepId, trialId, workerId, attempt, kind, step, epoch, totalSteps, sentAtMs } = o;
  if (!isId(sweepId) || !isId(trialId) || !isId(workerId)) return undefined;
  if (attempt !== undefined && !isCount(attempt)) return undefined;
  if (typeof kind !== 'string' || !KINDS.has(kind) || !isCount(step)) return undefined;
  const learningRate = finiteOrNot(o.learningRate);
  const loss = finiteOrNot(o.loss);
  if (learningRate === undefined || loss === undefined) return undefined;
  if (epoch !== undefined && !isCount(epoch)) return undefined;
  if (totalSteps !== undefined && !(isCount(totalSteps) && totalSteps > 0)) return undefined;
  const valLoss = o.valLoss === undefined ? undefined : finiteOrNot(o.valLoss);
  const valAccuracy = o.valAccuracy === undefined ? undefined : finiteOrNot(o.valAccuracy);
  if ((o.valLoss !== undefined && valLoss === undefined) || (o.valAccuracy !== undefined && valAccuracy === undefined)) return undefined;
  if (typeof sentAtMs !== 'number' || !Number.isFinite(sentAtMs)) return undefined;
  return {
    sweepId,
    trialId,
    workerId,
    attempt: attempt ?? 0,
    kind: kind as LossReport['kind'],
    step,
    learningRate,
    loss,
    ...(epoch !== undefined ? { epoch } : {}),
    ...(totalSteps !== undefined ? { totalSteps } : {}),
    ...(valLoss !== undefined ? { valLoss } : {}),
    ...(valAccuracy !== undefined ? { valAccuracy } : {}),
    sentAtMs,
  };
}

/**
 * `decodeMessage(LossReport, data)`, several times faster on the reports workers send: their
 * plain shape is checked field by field here (the coordinator decodes every report, thousands a
 * second); anything else, garbage included, goes through the zod schema, so what is accepted,
 * what is rejected and what comes out are the schema's (decode.test.ts compares them).
 */
export function decodeLossReport(data: Uint8Array): Decoded<LossReport> {
  let raw: unknown;
  try {
    // NATS hands Buffers: their own UTF-8 decoding is quicker on short messages than TextDecoder.
    raw = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : decoder.decode(data));
  } catch {
    return decodeMessage(LossReport, data);
  }
  const plain = plainLossReport(raw);
  return plain ? { ok: true, value: plain } : decodeMessage(LossReport, data);
}
