#!/usr/bin/env python3
"""Structured output: a chat answer constrained to a JSON Schema
(response_format, as in llama-cpp-python), then a free GBNF grammar.
usage: json_output.py [MODEL.gguf]"""
import json
import os
import sys

from llamac import Llama, LlamaGrammar

here = os.path.dirname(os.path.abspath(__file__))
model = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "models", "kjv-6m-f16.gguf")

schema = {
    "type": "object",
    "properties": {
        "speaker": {"type": "string", "maxLength": 20},   # bounded: small models
        "mood": {"enum": ["glad", "wroth", "afraid"]},     # rarely close strings
        "verse": {"type": "integer", "minimum": 1, "maximum": 176},
    },
    "required": ["speaker", "mood", "verse"],
}

with Llama(model_path=model, chat_format="chatml", n_ctx=1024, verbose=False) as llm:
    r = llm.create_chat_completion(
        messages=[{"role": "system", "content": "You answer in JSON."},
                  {"role": "user", "content": "Who spoke, and how?"}],
        response_format={"type": "json_object", "schema": schema},
        max_tokens=0, temperature=0.7, seed=7)
    record = json.loads(r["choices"][0]["message"]["content"])
    print(json.dumps(record))

    yes_no = LlamaGrammar.from_string('root ::= ("Yea" | "Nay") "."')
    print(llm("And he said, Wilt thou go? And she said, ", grammar=yes_no, max_tokens=8,
              temperature=0)["choices"][0]["text"])
