"""PyTorch's figures for `npm run bench -- --compare-torch`: the same BERT encoder, batch and step.

Usage: python3 bench/torch_bench.py '{"hidden":256,"layers":4,"heads":4,"intermediate":1024,"tokens":32,"batch":32,"vocab":30522}' THREADS QUICK
Prints one JSON object: torch's version, its thread count, encode sentences/s, train steps/s.
The encoder is BERT's (post-LayerNorm, exact GELU, word + position + type embeddings), built
from torch.nn so that PyTorch runs its own fastest CPU kernels; the training step is the
benchmark's: mean pooling, loss mean(pooled²), backward, AdamW; dropout 0.1 as babelbed's.
"""
import json
import sys
import time

import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, shape):
        super().__init__()
        hidden = shape["hidden"]
        self.words = nn.Embedding(shape["vocab"], hidden)
        self.positions = nn.Embedding(64, hidden)
        self.types = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = nn.Dropout(0.1)
        layer = nn.TransformerEncoderLayer(hidden, shape["heads"], shape["intermediate"], dropout=0.1,
                                           activation="gelu", layer_norm_eps=1e-12, batch_first=True)
        self.layers = nn.TransformerEncoder(layer, shape["layers"], enable_nested_tensor=False)

    def forward(self, ids, mask):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.words(ids) + self.positions(positions) + self.types(torch.zeros_like(ids))
        x = self.layers(self.dropout(self.norm(x)), src_key_padding_mask=mask == 0)
        weights = mask.unsqueeze(-1).float()
        return (x * weights).sum(1) / weights.sum(1)  # mean pooling, [batch, hidden]


def median_seconds(run, warmup, repeats):
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return sorted(samples)[len(samples) // 2]


def main():
    shape = json.loads(sys.argv[1])
    threads = int(sys.argv[2])
    quick = len(sys.argv) > 3 and sys.argv[3] == "quick"
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = Encoder(shape)
    ids = torch.randint(1, shape["vocab"], (shape["batch"], shape["tokens"]))
    mask = torch.ones_like(ids)

    def encode():
        with torch.no_grad():
            model(ids, mask)

    model.eval()
    encode_seconds = median_seconds(encode, 2, 3 if quick else 10)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step():
        optimizer.zero_grad()
        loss = model(ids, mask).square().mean()
        loss.backward()
        optimizer.step()
        loss.item()

    train_seconds = median_seconds(step, 2, 3 if quick else 8)
    print(json.dumps({
        "engine": f"pytorch {torch.__version__}",
        "threads": torch.get_num_threads(),
        "encode": {"sentencesPerSecond": shape["batch"] / encode_seconds},
        "train": {"stepsPerSecond": 1 / train_seconds},
    }))


main()
