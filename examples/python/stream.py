#!/usr/bin/env python3
"""Streams a completion piece by piece; each piece is whole UTF-8 characters.
usage: stream.py [MODEL.gguf] [PROMPT]"""
import os
import sys

from llamac import Llama

here = os.path.dirname(os.path.abspath(__file__))
model = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "models", "kjv-6m-f16.gguf")
prompt = sys.argv[2] if len(sys.argv) > 2 else "And God said"

with Llama(model_path=model, seed=42, verbose=False) as llm:
    sys.stdout.write(prompt)
    for chunk in llm(prompt, max_tokens=48, temperature=0.8, stream=True):
        sys.stdout.write(chunk["choices"][0]["text"])
        sys.stdout.flush()
    sys.stdout.write("\n")
