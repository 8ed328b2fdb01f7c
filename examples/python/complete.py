#!/usr/bin/env python3
"""A completion with llamac's Llama (the same code runs with llama_cpp's).
usage: complete.py [MODEL.gguf] [PROMPT]"""
import os
import sys

from llamac import Llama

here = os.path.dirname(os.path.abspath(__file__))
model = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "models", "kjv-6m-f16.gguf")
prompt = sys.argv[2] if len(sys.argv) > 2 else "In the beginning"

with Llama(model_path=model, n_ctx=512, verbose=False) as llm:
    out = llm(prompt, max_tokens=32, temperature=0, stop=["\n"])
    print(prompt + out["choices"][0]["text"])
    print(out["usage"], file=sys.stderr)
