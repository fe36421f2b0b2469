import { escapeHtml } from "../../util/format.js";
import { runtimeFile } from "./manifest.js";

/** Sentences the page starts with: the same meaning in three scripts, and one unrelated. */
const exampleSentences = ["The weather is lovely today.", "Il fait très beau aujourd'hui.", "今日はとても良い天気です。", "The train leaves at seven."];

/**
 * The example page written beside model.json: it loads the export with the bundled runtime and
 * embeds the lines of a textarea, showing cosine similarities and the leading vector components.
 * The last result stays in `window.babelbedResult` ({sentences, vectors}) for scripts and tests.
 */
export function examplePage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)} · babelbed</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1d232b; }
  textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; }
  button { font: inherit; padding: .35rem 1.2rem; margin: .5rem 0; }
  #status { color: #4a5563; }
  body[data-state="error"] #status { color: #b42318; }
  table { border-collapse: collapse; margin: 1rem 0; }
  td, th { border: 1px solid #d0d5dd; padding: .25rem .5rem; text-align: right; font-variant-numeric: tabular-nums; }
  th { background: #f2f4f7; font-weight: 600; text-align: left; max-width: 18rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  pre { background: #f7f8fa; padding: .75rem; overflow-x: auto; font-size: 13px; }
</style>
</head>
<body data-state="loading">
<h1>${escapeHtml(title)}</h1>
<p>Sentence embeddings computed in this browser by babelbed's encoder on TensorFlow.js (CPU backend); nothing leaves the page.</p>
<p id="status">Loading the model…</p>
<label for="sentences">One sentence per line:</label>
<textarea id="sentences" rows="6">${escapeHtml(exampleSentences.join("\n"))}</textarea>
<button id="embed" disabled>Embed</button>
<div id="similarities"></div>
<pre id="vectors"></pre>
<script>
  // Module scripts and fetch are blocked on file:// pages; say so before the module fails silently.
  if (location.protocol === "file:") document.getElementById("status").textContent = "Loading the model… If nothing happens, serve this folder over HTTP (e.g. npx http-server .): browsers do not load modules or fetch files from file:// pages.";
</script>
<script type="module">
import { loadTfjsEncoder } from "./${runtimeFile}";

const status = document.getElementById("status");
const button = document.getElementById("embed");
const textarea = document.getElementById("sentences");

function cosine(a, b) {
  let dot = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return dot / Math.sqrt(aa * bb || 1);
}

function cell(tag, text) {
  const element = document.createElement(tag);
  element.textContent = text;
  return element;
}

function show(sentences, vectors) {
  const table = document.createElement("table");
  const header = table.insertRow();
  header.append(cell("th", "cosine"), ...sentences.map((_, index) => cell("th", "#" + (index + 1))));
  sentences.forEach((sentence, row) => {
    const line = table.insertRow();
    const label = cell("th", "#" + (row + 1) + " " + sentence);
    label.title = sentence;
    line.append(label, ...vectors.map((vector) => cell("td", cosine(vectors[row], vector).toFixed(3))));
  });
  document.getElementById("similarities").replaceChildren(table);
  document.getElementById("vectors").textContent = vectors
    .map((vector, index) => "#" + (index + 1) + " [" + vector.slice(0, 8).map((value) => value.toFixed(4)).join(", ") + (vector.length > 8 ? ", …" : "") + "]")
    .join("\\n");
}

try {
  const encoder = await loadTfjsEncoder(new URL(".", import.meta.url));
  status.textContent = "Model loaded: " + encoder.dimension + " dimensions, up to " + encoder.maxSeqLength + " tokens per sentence.";
  document.body.dataset.state = "ready";
  button.disabled = false;
  button.addEventListener("click", async () => {
    const sentences = textarea.value.split("\\n").filter((line) => line.trim() !== "");
    button.disabled = true;
    document.body.dataset.state = "embedding";
    const started = performance.now();
    try {
      const vectors = await encoder.encode(sentences);
      window.babelbedResult = { sentences, vectors };
      show(sentences, vectors);
      status.textContent = "Embedded " + sentences.length + " sentences in " + Math.round(performance.now() - started) + " ms.";
      document.body.dataset.state = "done";
    } catch (error) {
      status.textContent = "Embedding failed: " + error.message;
      document.body.dataset.state = "error";
    } finally {
      button.disabled = false;
    }
  });
} catch (error) {
  const hint = location.protocol === "file:" ? " Browsers do not fetch files from file:// pages: serve this folder, e.g. npx http-server ." : "";
  status.textContent = "Could not load the model: " + error.message + hint;
  document.body.dataset.state = "error";
}
</script>
</body>
</html>
`;
}
