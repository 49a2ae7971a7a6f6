import { type OnnxTypes, onnx } from './proto.js';
import { schemaType } from './schema-root.js';

/**
 * onnxruntime-node cannot return non-tensor outputs, so sklearn/onnxmltools ZipMap probabilities
 * (`seq(map(int64, float))`) are unreadable. This rewrites the graph for the session: each ZipMap whose output
 * is a graph output is removed, and the float32 `[N, classes]` tensor it consumed becomes a graph output in its
 * place. The stored bytes in sys_models are never changed. Decoded and re-encoded with the current ONNX schema
 * (schema-root.ts), so fields newer than `onnx-proto`'s schema are kept.
 *
 * @returns the rewritten ModelProto bytes, or null when the graph has no ZipMap output.
 */
export function exposeZipMapProbabilities(bytes: Uint8Array): Uint8Array | null {
  const modelType = schemaType('ModelProto');
  const model = modelType.decode(bytes) as unknown as OnnxTypes.ModelProto;
  const graph = model.graph as OnnxTypes.GraphProto | null;
  if (!graph) return null;
  const outputNames = new Set(graph.output.map((o) => o.name));
  const zipmaps = graph.node.filter((n) => n.opType === 'ZipMap' && outputNames.has(n.output?.[0] ?? ''));
  if (zipmaps.length === 0) return null;
  const removed = new Set(zipmaps.map((n) => n.output?.[0] ?? ''));
  graph.node = graph.node.filter((n) => !zipmaps.includes(n));
  const outputs: OnnxTypes.IValueInfoProto[] = graph.output.filter((o) => !removed.has(o.name ?? ''));
  for (const z of zipmaps) {
    const tensor = z.input?.[0] ?? '';
    if (!outputs.some((o) => o.name === tensor)) {
      outputs.push(
        onnx.ValueInfoProto.create({
          name: tensor,
          type: onnx.TypeProto.create({
            tensorType: onnx.TypeProto.Tensor.create({ elemType: onnx.TensorProto.DataType.FLOAT }),
          }),
        }),
      );
    }
  }
  graph.output = outputs as OnnxTypes.ValueInfoProto[];
  return modelType.encode(model).finish();
}
