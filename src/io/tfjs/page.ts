import { escapeHtml } from "../../util/format.js";
import { runtimeFile } from "./manifest.js";
import { builtInSamples, languageName } from "./samples.js";

/** What the page says about its model. */
export interface PageContent {
  /** The model's name: its recipe and step where known, else its folder. */
  name: string;
  /** ISO codes of the languages it learned; empty when unknown. */
  languages: string[];
  /** Sentences it starts with: from the run's data, else built-in ones in `languages`. */
  samples?: string[];
}

/** `English, German`, or a plain "sentence embeddings" when the languages are unknown. */
export function languagesLine(languages: string[]): string {
  return languages.length === 0 ? "sentence embeddings" : languages.map(languageName).join(", ");
}

/**
 * The example page written beside model.json: it loads the export with the bundled runtime,
 * embeds sample sentences in the model's own languages at once, and embeds the lines of a
 * textarea on request, showing a heat map of cosine similarities with each row's best match
 * marked. The last result stays in `window.babelbedResult` ({sentences, vectors}) for scripts and tests.
 */
export function examplePage(content: PageContent): string {
  const samples =
    content.samples !== undefined && content.samples.length > 0 ? content.samples : builtInSamples(content.languages);
  const languages = languagesLine(content.languages);
  const title = `${content.name} · ${languages}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)} · babelbed</title>
<style>
  * { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1d232b; }
  h1 { margin-bottom: .2rem; overflow-wrap: anywhere; }
  .languages { color: #4a5563; font-size: 1.1rem; margin-top: 0; }
  textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; }
  button { font: inherit; padding: .35rem 1.2rem; margin: .5rem 0; }
  #status { color: #4a5563; }
  body[data-state="error"] #status { color: #b42318; }
  #similarities { overflow-x: auto; }
  table { border-collapse: collapse; margin: 1rem 0; }
  td, th { border: 1px solid #d0d5dd; padding: .3rem .55rem; text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  th { background: #f2f4f7; font-weight: 600; text-align: left; max-width: min(22rem, 38vw); overflow: hidden; text-overflow: ellipsis; }
  td.best { outline: 3px solid #d55e00; outline-offset: -3px; font-weight: 700; }
  td.best::after { content: " ★"; }
  td.self { color: #98a2b3; background: #f8f9fb; }
  .legend { color: #4a5563; font-size: 13px; }
  pre { background: #f7f8fa; padding: .75rem; overflow-x: auto; font-size: 13px; }
</style>
</head>
<body data-state="loading">
<h1>${escapeHtml(content.name)}</h1>
<p class="languages">${escapeHtml(languages)}</p>
<p>Sentence embeddings computed in this browser by babelbed's encoder on TensorFlow.js (CPU backend); nothing leaves the page.</p>
<p id="status">Loading the model…</p>
<label for="sentences">One sentence per line:</label>
<textarea id="sentences" rows="${Math.min(12, Math.max(4, samples.length))}">${escapeHtml(samples.join("\n"))}</textarea>
<button id="embed" disabled>Embed</button>
<div id="similarities"></div>
<p class="legend" id="legend" hidden></p>
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

// Shades span the matrix's own range of cosines (the diagonal left out): an untrained or
// anisotropic model puts every pair near 0.9, where a fixed 0–1 scale would be one dark block.
function shade(value, low, high) {
  const strength = high > low ? (value - low) / (high - low) : 1;
  return { background: "hsl(210, 80%, " + (97 - 60 * strength) + "%)", color: strength > 0.6 ? "#fff" : "#1d232b" };
}

function show(sentences, vectors) {
  const table = document.createElement("table");
  const header = table.insertRow();
  header.append(cell("th", "cosine"), ...sentences.map((_, index) => cell("th", "#" + (index + 1))));
  const all = vectors.map((left) => vectors.map((right) => cosine(left, right)));
  const others = all.flatMap((row, index) => row.filter((_, column) => column !== index));
  const [low, high] = [Math.min(...others), Math.max(...others)];
  sentences.forEach((sentence, row) => {
    const line = table.insertRow();
    const label = cell("th", "#" + (row + 1) + " " + sentence);
    label.title = sentence;
    const similarities = all[row];
    let best = -1;
    similarities.forEach((value, column) => { if (column !== row && (best < 0 || value > similarities[best])) best = column; });
    line.append(label, ...similarities.map((value, column) => {
      const element = cell("td", value.toFixed(3));
      if (column === row) element.className = "self";
      else Object.assign(element.style, shade(value, low, high));
      if (column === best) { element.className = "best"; element.title = "best match of #" + (row + 1); }
      return element;
    }));
  });
  document.getElementById("similarities").replaceChildren(table);
  const legend = document.getElementById("legend");
  legend.textContent = "Cosine similarity of each pair of sentences, shaded from the lowest (" + low.toFixed(3) + ", white) to the highest (" + high.toFixed(3) + ", dark blue) between different sentences. ★ marks each row's best match among the other sentences: a sentence's translation should be it.";
  legend.hidden = false;
  document.getElementById("vectors").textContent = vectors
    .map((vector, index) => "#" + (index + 1) + " [" + vector.slice(0, 8).map((value) => value.toFixed(4)).join(", ") + (vector.length > 8 ? ", …" : "") + "]")
    .join("\\n");
}

try {
  const encoder = await loadTfjsEncoder(new URL(".", import.meta.url));
  status.textContent = "Model loaded: " + encoder.dimension + " dimensions, up to " + encoder.maxSeqLength + " tokens per sentence.";
  async function embed() {
    const sentences = textarea.value.split("\\n").filter((line) => line.trim() !== "");
    button.disabled = true;
    document.body.dataset.state = "embedding";
    const started = performance.now();
    try {
      const vectors = await encoder.encode(sentences);
      window.babelbedResult = { sentences, vectors };
      show(sentences, vectors);
      status.textContent = "Model loaded: " + encoder.dimension + " dimensions. Embedded " + sentences.length + " sentences in " + Math.round(performance.now() - started) + " ms.";
      document.body.dataset.state = "done";
    } catch (error) {
      status.textContent = "Embedding failed: " + error.message;
      document.body.dataset.state = "error";
    } finally {
      button.disabled = false;
    }
  }
  button.addEventListener("click", embed);
  // The samples at once: the page shows what the model does before anyone types.
  await embed();
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
