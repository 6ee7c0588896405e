#!/usr/bin/python3
"""Trains the seed's Transformer (sinusoidal positions, post-norm, ReLU; d_model 128, 4 heads, 2 + 2 layers) on the
templated corpus of corpus.py and writes, under src/TransformerKernels.ChineseEnglish/model/:
  translator.safetensors  weights with nn.Transformer names under "transformer." plus src_embedding, tgt_embedding,
                          generator; metadata embedding_scale = sqrt(d_model)
  source_vocab.txt, target_vocab.txt   one token per line, the line number is the id (0 <pad>, 1 <s>, 2 </s>, 3 <unk>)
  heldout.tsv             the held-out test pairs (Chinese \t English), for --eval
and, for the C# parity test, tests/TransformerKernels.Tests/Fixtures/translate_logits.safetensors: the decoder logits of
one teacher-forced sentence.

Reproducible: seeded corpus, seeded initialization, single-process data order. Not part of tests or CI.
Run:  apt-get install -y python3-torch libopenblas0-openmp && /usr/bin/python3 tools/train-translate/train.py
"""
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import corpus  # noqa: E402
import safetensors_io  # noqa: E402

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]
D_MODEL, HEADS, LAYERS, FFN, MAX_LEN = 128, 4, 2, 256, 32


def sinusoidal(positions, d):
    pe = np.zeros((positions, d), dtype=np.float64)
    for pos in range(positions):
        for i in range(0, d, 2):
            angle = pos / (10000.0 ** (i / d))
            pe[pos, i] = math.sin(angle)
            pe[pos, i + 1] = math.cos(angle)
    return torch.tensor(pe, dtype=torch.float32)


class Translator(nn.Module):
    """Embeddings × √d + sinusoidal positions → nn.Transformer (post-norm, ReLU) → linear to the target vocabulary."""

    def __init__(self, source_vocab, target_vocab):
        super().__init__()
        self.src_embedding = nn.Embedding(source_vocab, D_MODEL)
        self.tgt_embedding = nn.Embedding(target_vocab, D_MODEL)
        self.transformer = nn.Transformer(D_MODEL, HEADS, LAYERS, LAYERS, FFN, dropout=0.1, batch_first=True)
        self.generator = nn.Linear(D_MODEL, target_vocab)
        self.register_buffer("pe", sinusoidal(MAX_LEN, D_MODEL), persistent=False)
        self.scale = math.sqrt(D_MODEL)

    def embed(self, table, ids):
        return table(ids) * self.scale + self.pe[: ids.shape[1]]

    def encode(self, src):
        return self.transformer.encoder(self.embed(self.src_embedding, src), src_key_padding_mask=src == PAD)

    def decode(self, tgt, memory, src):
        causal = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
        out = self.transformer.decoder(self.embed(self.tgt_embedding, tgt), memory, tgt_mask=causal,
                                       tgt_key_padding_mask=tgt == PAD, memory_key_padding_mask=src == PAD)
        return self.generator(out)

    def forward(self, src, tgt):
        return self.decode(tgt, self.encode(src), src)


def pad(rows):
    width = max(len(r) for r in rows)
    return torch.tensor([r + [PAD] * (width - len(r)) for r in rows])


@torch.no_grad()
def greedy(model, src):
    memory = model.encode(src)
    out = torch.full((src.shape[0], 1), BOS)
    done = torch.zeros(src.shape[0], dtype=torch.bool)
    for _ in range(MAX_LEN - 1):
        next_token = model.decode(out, memory, src)[:, -1].argmax(-1)
        next_token[done] = PAD
        out = torch.cat([out, next_token[:, None]], 1)
        done |= next_token == EOS
        if done.all():
            break
    return out[:, 1:]


def exact_matches(model, pairs, encode_src, target_vocab):
    hyp = greedy(model, pad([encode_src(s) for s, _ in pairs]))
    correct = 0
    for (_, t), h in zip(pairs, hyp.tolist()):
        if EOS in h and [target_vocab[i] for i in h[: h.index(EOS)]] == t.split():
            correct += 1
    return correct


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    train, test, heldout = corpus.build()
    source_vocab = SPECIALS + sorted({c for s, _ in train + test for c in s})
    target_vocab = SPECIALS + sorted({w for _, t in train + test for w in t.split()})
    s_id = {t: i for i, t in enumerate(source_vocab)}
    t_id = {t: i for i, t in enumerate(target_vocab)}
    encode_src = lambda s: [s_id[c] for c in s]
    encode_tgt = lambda t: [BOS] + [t_id[w] for w in t.split()] + [EOS]
    print(f"{len(train)} training pairs, {len(test)} held-out pairs over {len(heldout)} unseen (verb, noun) combinations; "
          f"vocabularies {len(source_vocab)} / {len(target_vocab)}; torch {torch.__version__}, {torch.get_num_threads()} threads")

    model = Translator(len(source_vocab), len(target_vocab))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98))
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.05)
    data = [(encode_src(s), encode_tgt(t)) for s, t in train]
    rng = np.random.default_rng(0)
    start, step = time.time(), 0
    for epoch in range(12):
        model.train()
        order = rng.permutation(len(data))
        total = 0.0
        for b in range(0, len(order), 128):
            batch = [data[i] for i in order[b:b + 128]]
            src = pad([s for s, _ in batch])
            tgt = pad([t for _, t in batch])
            for group in optimizer.param_groups:  # short warm-up, then inverse square root decay
                group["lr"] = 1e-3 * min(1.0, (step + 1) / 200) * min(1.0, math.sqrt(1500 / (step + 1)))
            logits = model(src, tgt[:, :-1])
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            step += 1
        model.eval()
        sample = test[:300]
        correct = exact_matches(model, sample, encode_src, target_vocab)
        print(f"epoch {epoch + 1}: loss {total / (len(order) / 128):.4f}, held-out exact match {correct}/{len(sample)}, {time.time() - start:.0f} s")

    model.eval()
    correct = exact_matches(model, test, encode_src, target_vocab)
    print(f"final held-out exact match: {correct}/{len(test)} = {100 * correct / len(test):.1f}%")

    out = os.path.join(ROOT, "src", "TransformerKernels.ChineseEnglish", "model")
    os.makedirs(out, exist_ok=True)
    weights = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    safetensors_io.save(os.path.join(out, "translator.safetensors"), weights,
                        {"embedding_scale": repr(float(math.sqrt(D_MODEL))), "d_model": D_MODEL, "source": "tools/train-translate/train.py"})
    with open(os.path.join(out, "source_vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(source_vocab) + "\n")
    with open(os.path.join(out, "target_vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(target_vocab) + "\n")
    with open(os.path.join(out, "heldout.tsv"), "w", encoding="utf-8") as f:
        f.write("".join(f"{s}\t{t}\n" for s, t in test))

    # Parity fixture: decoder logits of one teacher-forced sentence, computed in eval mode (no dropout).
    src = torch.tensor([encode_src("我有一只猫")])
    tgt = torch.tensor([encode_tgt("i have a cat")[:-1]])
    with torch.inference_mode():
        logits = model(src, tgt)
    safetensors_io.save(os.path.join(ROOT, "tests", "TransformerKernels.Tests", "Fixtures", "translate_logits.safetensors"), {
        "source": src.numpy().astype(np.float32), "target": tgt.numpy().astype(np.float32), "logits": logits[0].numpy()})
    print(f"wrote {out}: SourceVocab = {len(source_vocab)}, TargetVocab = {len(target_vocab)}, "
          f"{sum(p.numel() for p in model.parameters())} parameters")


if __name__ == "__main__":
    main()
