#!/usr/bin/python3
"""Copies PyTorch's logits for samples/Generate --self-test out of the parity fixtures that fixtures.py writes
(tests/TransformerKernels.Tests/Fixtures/fortune_{llama,gpt2}.io.safetensors) into the model directory, which travels
with the sample (the test fixtures do not): per model, the four prompts, their first STEPS greedy tokens, and the logits
after the prefill and after each of the first STEPS - 1 cached steps. A RoPE θ, a position or a cache slot that is off
changes these logits long before it changes a greedy token.

Writes src/TransformerKernels.Fortunes/model/self-test-logits.safetensors. Plain Python (json + struct): no torch needed,
the numbers are the fixtures' own. fixtures.py runs it after writing the fixtures.
Run: /usr/bin/python3 tools/train-generate/self_test_logits.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
FIXTURES = os.path.join(ROOT, "tests", "TransformerKernels.Tests", "Fixtures")
OUT = os.path.join(ROOT, "src", "TransformerKernels.Fortunes", "model", "self-test-logits.safetensors")
STEPS = 4


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (path, name)
        start, end = info["data_offsets"]
        tensors[name] = (info["shape"], body[start:end])
    return header.get("__metadata__", {}), tensors


def rows(shape_and_bytes, indices):
    shape, raw = shape_and_bytes
    width = 4
    for d in shape[1:]:
        width *= d
    return [len(indices)] + shape[1:], b"".join(raw[i * width:(i + 1) * width] for i in indices)


def main():
    out = {}
    for model in ("llama", "gpt2"):
        metadata, t = read(os.path.join(FIXTURES, f"fortune_{model}.io.safetensors"))
        new_tokens = int(metadata["new_tokens"])
        prompts = t["prompt_lengths"][0][0]
        keep = [k * new_tokens + s for k in range(prompts) for s in range(STEPS)]
        out[f"{model}.prompts"] = t["prompts"]
        out[f"{model}.prompt_lengths"] = t["prompt_lengths"]
        out[f"{model}.continuations"] = rows(([prompts * new_tokens], t["continuations"][1]), keep)
        out[f"{model}.step_logits"] = rows(t["step_logits"], keep)
    header, offset, body = {"__metadata__": {"steps": str(STEPS), "source": "tools/train-generate/self_test_logits.py"}}, 0, []
    for name, (shape, raw) in out.items():
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        body.append(raw)
        offset += len(raw)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(OUT, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(body))
    print(f"wrote {OUT}: {offset} bytes of tensors")


if __name__ == "__main__":
    main()
