#!/usr/bin/python3
"""Reads the fortune models train.py wrote (src/TransformerKernels.Fortunes/model/) back into the plain PyTorch reference
modules and writes what the C# side checks itself against:

  tests/TransformerKernels.Tests/Fixtures/fortune_llama.io.safetensors, fortune_gpt2.io.safetensors
      greedy_fixture: for prompts of different lengths, the logits at every prompt position, then 16 greedy tokens each
      recomputed without a cache, with the logits of every step
  src/TransformerKernels.Fortunes/model/self-test-logits.safetensors  (self_test_logits.py: part of the above, for the sample)
  src/TransformerKernels.Fortunes/model/reference.json  (travels with the model, so samples/Generate --self-test has it)
      "tokenizer": texts and the ids python-sentencepiece gives them (byte fallback, digits, spaces, punctuation, CJK)
      "greedy":    prompts and each model's greedy continuation until </s> or 40 tokens: its ids, and the text of the prompt
                   and continuation together (decoded alone, a continuation would lose the space before its first word)

Run after train.py (which calls it):  /usr/bin/python3 tools/train-generate/fixtures.py
"""
import json
import os
import sys

import numpy as np
import sentencepiece as spm
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import gpt2_reference  # noqa: E402
import greedy_fixture  # noqa: E402
import llama_reference  # noqa: E402
import self_test_logits  # noqa: E402
import safetensors_io  # noqa: E402
from shapes import BOS, CONTEXT, EOS, GPT2, LLAMA, MODEL_DIR, ROOT  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "TransformerKernels.Tests", "Fixtures")
# Prompts of different lengths; the tokenizer texts add byte fallback, digits split one by one, repeated spaces, punctuation.
PROMPTS = ["Life", "A man is known by the company he", "Q: What do you call a computer that", "The best way to predict the future is to"]
TOKENIZER_TEXTS = PROMPTS + ["", " ", "I have a cat.", "Anything that can go wrong, will.  Twice!", "Call 555-1234 before 9:30 p.m.",
                             "Café naïve — “quoted” 我有一只猫", "tabs\tand\nnewlines", "UPPER lower MiXeD", "¯\\_(ツ)_/¯"]
GREEDY_TOKENS = 40


def load(model, directory):
    """Loads a Hugging Face checkpoint (one file or shards listed by model.safetensors.index.json) into the module."""
    index = os.path.join(directory, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    tensors = {}
    for file in files:
        tensors.update(safetensors_io.load(os.path.join(directory, file))[0])
    prefix = "transformer." if isinstance(model, gpt2_reference.Gpt2) else "model."
    state = {(k[len(prefix):] if k.startswith(prefix) else k): torch.tensor(v.astype(np.float32)) for k, v in tensors.items()}
    model.load_state_dict(state, strict=True)
    return model.eval()


def greedy(model, ids):
    ids = list(ids)
    with torch.no_grad():
        for _ in range(GREEDY_TOKENS):
            next_id = int(torch.argmax(model(torch.tensor(ids[-CONTEXT:]))[-1]))
            if next_id == EOS:
                break
            ids.append(next_id)
    return ids


def main():
    sp = spm.SentencePieceProcessor(model_file=os.path.join(MODEL_DIR, "tokenizer.model"))
    models = {"llama": load(llama_reference.Llama(LLAMA), os.path.join(MODEL_DIR, "llama")),
              "gpt2": load(gpt2_reference.Gpt2(GPT2), os.path.join(MODEL_DIR, "gpt2"))}
    prompts = [[BOS] + sp.encode(p) for p in PROMPTS]
    reference = {"tokenizer": [{"text": t, "ids": sp.encode(t)} for t in TOKENIZER_TEXTS], "greedy": []}
    for text, ids in zip(PROMPTS, prompts):
        entry = {"prompt": text, "ids": ids}
        for name, model in models.items():
            continuation = greedy(model, ids)[len(ids):]
            entry[name] = continuation
            entry[name + "_text"] = sp.decode(ids[1:] + continuation)
        reference["greedy"].append(entry)
    with open(os.path.join(MODEL_DIR, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False, indent=1)
    for name, model in models.items():
        greedy_fixture.write(model, prompts, 16, os.path.join(FIXTURES, f"fortune_{name}.io.safetensors"))
    self_test_logits.main()  # the logits generate --self-test compares, copied from the fixtures just written
    for entry in reference["greedy"]:
        print(f"{entry['prompt']!r} → llama {entry['llama_text']!r} | gpt2 {entry['gpt2_text']!r}")


if __name__ == "__main__":
    main()
