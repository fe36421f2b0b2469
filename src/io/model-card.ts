import * as path from "node:path";
import { describeMetrics, formatDescribed, type MetricDescription } from "../evaluate/metric-descriptions.js";
import { readTokenizerConfig } from "../text/config.js";
import { exists, readJsonFile, writeFileAtomic } from "../util/files.js";
import { packageVersion } from "../util/package.js";

/** What only the caller knows about an exported model: where it came from and how it scored. */
export interface ModelCardFacts {
  /** ISO 639-1 codes of the languages the model was trained to embed. */
  languages?: string[];
  /** The teacher it was distilled from, as the recipe names it. */
  teacher?: string;
  /** The model it started from: a directory or recipe step, or a sentence for a fresh model. */
  baseModel?: string;
  /** The recipe that made it, as YAML. */
  recipe?: string;
  /** Evaluation figures of the run, by task and metric (`tatoeba-jpn/source_to_target`). */
  metrics?: Record<string, number>;
  /**
   * The same figures described for people by the run, which knows each task's type and data
   * ("top-1 retrieval accuracy, English → Japanese", its unit and n); without them the card
   * describes `metrics` from their keys alone.
   */
  figures?: CardFigure[];
}

/** One figure of the card: a metric as people read it, its value, and the evaluate step that measured it, if not the model's own. */
export interface CardFigure {
  description: MetricDescription;
  value: number;
  step?: string;
}

/** What the exported files say about the model; read back so the card describes what was written. */
interface ExportedShape {
  architecture: string;
  modules: string[];
  dimension: number;
  maxSeqLength?: number;
  normalized: boolean;
  segmenterLanguage?: string;
  /** transformers' `_name_or_path`: the hub id a hub model was loaded from. */
  hubName?: string;
  /** Whether the export holds `onnx/model.onnx`, which sentence-transformers loads with `backend="onnx"`. */
  onnx: boolean;
  /** Whether its weights are in `onnx/model.onnx_data` (ONNX external data: over protobuf's 2 GiB). */
  onnxExternalData?: boolean;
}

/**
 * Writes README.md into an exported sentence-transformers directory, in the layout
 * sentence-transformers' own model cards have (YAML front matter the Hub reads, then the model
 * description, usage in Python and TypeScript, evaluation and training details). Returns the
 * warnings the caller should show once: a Japanese-segmenting tokenizer that Python cannot run.
 */
export async function writeModelCard(dir: string, facts: ModelCardFacts = {}): Promise<string[]> {
  const shape = await readExportedShape(dir);
  const warnings: string[] = [];
  if (shape.segmenterLanguage !== undefined) {
    warnings.push(
      `${dir}: this model pre-segments ${languageName(shape.segmenterLanguage)} with kuromoji before its tokenizer, which ` +
        `sentence-transformers cannot do: Python embeds unsegmented text differently (README.md says what to run first)`,
    );
  }
  await writeFileAtomic(path.join(dir, "README.md"), modelCardText(path.basename(dir), shape, facts));
  return warnings;
}

// "owner/name" or a bare canonical name such as "xlm-roberta-base"; never an absolute or ./ path.
const hubId = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

async function readExportedShape(dir: string): Promise<ExportedShape> {
  const config = await readJsonFile<Record<string, unknown>>(path.join(dir, "config.json"));
  const modules = await readJsonFile<{ path: string; type: string }[]>(path.join(dir, "modules.json"));
  let dimension = Number(config.hidden_size ?? config.dim ?? 0);
  for (const module of modules) {
    const file = path.join(dir, module.path, "config.json");
    if (module.path === "" || !(await exists(file))) continue;
    const moduleConfig = await readJsonFile<Record<string, unknown>>(file);
    if (module.type.endsWith("Pooling"))
      dimension =
        Number(moduleConfig.word_embedding_dimension ?? moduleConfig.embedding_dimension ?? dimension) *
        poolingModes(moduleConfig).length;
    if (module.type.endsWith("Dense")) dimension = Number(moduleConfig.out_features);
  }
  const bertConfigFile = path.join(dir, "sentence_bert_config.json");
  const bertConfig = (await exists(bertConfigFile)) ? await readJsonFile<Record<string, unknown>>(bertConfigFile) : {};
  const tokenizer = await readTokenizerConfig(dir);
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  return {
    architecture: architectures[0] ?? String(config.model_type ?? "transformer"),
    modules: modules.map((module) => module.type.split(".").pop() ?? module.type),
    dimension,
    maxSeqLength: typeof bertConfig.max_seq_length === "number" ? bertConfig.max_seq_length : tokenizer.modelMaxLength,
    normalized: modules.some((module) => module.type.endsWith("Normalize")),
    segmenterLanguage: tokenizer.segmenterLanguage,
    hubName:
      typeof config._name_or_path === "string" && hubId.test(config._name_or_path) ? config._name_or_path : undefined,
    onnx: await exists(path.join(dir, "onnx", "model.onnx")),
    onnxExternalData: await exists(path.join(dir, "onnx", "model.onnx_data")),
  };
}

/** Both Pooling config forms: ST 6's `pooling_mode` (string or list) and the legacy flags. */
function poolingModes(config: Record<string, unknown>): string[] {
  const listed = config.pooling_mode;
  if (typeof listed === "string") return [listed];
  if (Array.isArray(listed)) return listed.map(String);
  const flags = Object.keys(config).filter((key) => key.startsWith("pooling_mode_") && config[key] === true);
  return flags.length > 0 ? flags : ["mean"];
}

export function modelCardText(name: string, shape: ExportedShape, facts: ModelCardFacts): string {
  const languages = facts.languages ?? (shape.segmenterLanguage === undefined ? [] : [shape.segmenterLanguage]);
  // The Hub links base_model to a model page, so only the hub id transformers recorded goes there
  // (babelbed reads local directories only; their paths stay in the text).
  const baseModel = shape.hubName;
  const front = [
    "---",
    ...(languages.length > 0 ? ["language:", ...languages.map((code) => `- ${code}`)] : []),
    "library_name: sentence-transformers",
    "pipeline_tag: sentence-similarity",
    "tags:",
    ...[
      "sentence-transformers",
      "sentence-similarity",
      "feature-extraction",
      "babelbed",
      ...(facts.teacher ? ["knowledge-distillation"] : []),
    ].map((tag) => `- ${tag}`),
    ...(baseModel ? [`base_model: ${baseModel}`] : []),
    "---",
  ];
  const title = baseModel ? `SentenceTransformer based on ${baseModel}` : `SentenceTransformer ${name}`;
  const lines = [
    ...front,
    "",
    `# ${title}`,
    "",
    `This is a [sentence-transformers](https://www.SBERT.net) model made with babelbed` +
      `${facts.teacher ? ` by multilingual knowledge distillation from the teacher \`${facts.teacher}\`` : ""}. ` +
      `It maps sentences to a ${shape.dimension}-dimensional dense vector space for semantic textual similarity, semantic search, ` +
      "translation retrieval, bitext mining, clustering and classification.",
    "",
    "## Model Details",
    "",
    "### Model Description",
    "- **Model Type:** Sentence Transformer",
    `- **Base model:** ${facts.baseModel ?? "none: trained from scratch"}`,
    ...(facts.teacher ? [`- **Teacher:** ${facts.teacher}`] : []),
    `- **Transformer:** ${shape.architecture}`,
    ...(shape.maxSeqLength !== undefined ? [`- **Maximum Sequence Length:** ${shape.maxSeqLength} tokens`] : []),
    `- **Output Dimensionality:** ${shape.dimension} dimensions${shape.normalized ? " (unit length)" : ""}`,
    "- **Similarity Function:** Cosine Similarity",
    ...(languages.length > 0 ? [`- **Languages:** ${languages.join(", ")}`] : []),
    `- **Modules:** ${shape.modules.join(" → ")}`,
    "",
    ...segmentationSection(shape.segmenterLanguage),
    "## Usage",
    "",
    "### Direct Usage (Sentence Transformers)",
    "",
    "```bash",
    "pip install -U sentence-transformers",
    "```",
    "",
    "```python",
    "from sentence_transformers import SentenceTransformer",
    "",
    `model = SentenceTransformer("path/to/${name}")`,
    `sentences = ${listLiteral(exampleSentences(shape.segmenterLanguage))}`,
    "embeddings = model.encode(sentences)",
    "print(embeddings.shape)",
    `# [3, ${shape.dimension}]`,
    "similarities = model.similarity(embeddings, embeddings)",
    "print(similarities.shape)",
    "# [3, 3]",
    "```",
    "",
    ...(shape.onnx
      ? [
          "The export also holds `onnx/model.onnx` (the token embeddings, as sentence-transformers' own ONNX export), so",
          ...(shape.onnxExternalData
            ? [
                "onnxruntime can run it without PyTorch. Its weights, over protobuf's 2 GiB, are in `onnx/model.onnx_data`",
                "(ONNX external data), which onnxruntime reads from beside `model.onnx`: keep (and upload) the two files",
                "together. From Python:",
              ]
            : ["onnxruntime can run it without PyTorch, from Python or from transformers.js in the browser:"]),
          "",
          "```python",
          `model = SentenceTransformer("path/to/${name}", backend="onnx")`,
          "```",
          "",
        ]
      : []),
    "### Usage in TypeScript (babelbed)",
    "",
    "```bash",
    `npx babelbed encode --model path/to/${name} --input sentences.txt --output vectors.jsonl`,
    "```",
    "",
    "```typescript",
    'import { loadSentenceEncoder } from "babelbed";',
    "",
    `const encoder = await loadSentenceEncoder("path/to/${name}");`,
    `const vectors = await encoder.encode(${listLiteral(exampleSentences(undefined))}); // Float32Array[], ${shape.dimension} values each`,
    "encoder.dispose();",
    "```",
    "",
    ...evaluationSection(facts),
    "## Training Details",
    "",
    ...(facts.recipe
      ? [
          "This model was made by this babelbed recipe (`babelbed run recipe.yaml`):",
          "",
          "```yaml",
          facts.recipe.trimEnd(),
          "```",
          "",
        ]
      : ["The recipe that made this model is not known to the export.", ""]),
    "### Framework Versions",
    `- babelbed: ${packageVersion()}`,
    "",
  ];
  return lines.join("\n");
}

function segmentationSection(language: string | undefined): string[] {
  if (language === undefined) return [];
  return [
    `### ${languageName(language)} input must be segmented first`,
    "",
    `babelbed splits ${languageName(language)} text into words with kuromoji (IPAdic), joined by single spaces, before the tokenizer; ` +
      "sentence-transformers does not, and gives other vectors for unsegmented text. Segment the sentences exactly as babelbed does, " +
      "then encode the segmented lines in Python:",
    "",
    "```bash",
    `npx babelbed segment --language ${language} --input sentences.txt --output segmented.txt`,
    "```",
    "",
    "```python",
    'sentences = open("segmented.txt", encoding="utf-8").read().splitlines()',
    "embeddings = model.encode(sentences)",
    "```",
    "",
    "`babelbed encode` and the TypeScript API segment by themselves.",
    "",
  ];
}

function evaluationSection(facts: ModelCardFacts): string[] {
  const metrics = facts.metrics ?? {};
  const figures: CardFigure[] = (
    facts.figures ??
    describeMetrics(metrics).map((description) => ({ description, value: metrics[description.metric]! }))
  ).filter((figure) => !figure.description.count && Number.isFinite(figure.value));
  if (figures.length === 0) return [];
  const cell = (text: string) => text.replaceAll("|", "\\|");
  const rows = figures.map(({ description, value, step }) => {
    const task = [step, description.task].filter((part) => part !== undefined && part !== "").join(": ");
    const n = description.n === undefined ? "" : String(description.n);
    return `| ${cell(description.name)} | ${cell(task)} | ${formatDescribed(description, value)} | ${n} |`;
  });
  return [
    "## Evaluation",
    "",
    "### Metrics",
    "",
    "Measured by the run that made this model, on its held-out evaluation sets (n: the pairs each figure was computed on).",
    "",
    "| Metric | Task | Value | n |",
    "|:--|:--|--:|--:|",
    ...rows,
    "",
  ];
}

function exampleSentences(language: string | undefined): string[] {
  // Already segmented, as `babelbed segment` writes "今日は天気がいい。".
  if (language === "ja") return ["今日 は 天気 が いい 。", "The weather is lovely today.", "He drove to the stadium."];
  return ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."];
}

/** A list of strings, valid in Python and TypeScript alike. */
function listLiteral(items: string[]): string {
  return `[${items.map((item) => JSON.stringify(item)).join(", ")}]`;
}

function languageName(code: string): string {
  return code === "ja" ? "Japanese" : code;
}
