"""SentencePiece BPE tokenizer in the form llama.cpp's "llama" (SPM) tokenizer reproduces.

Choices and why:
- model_type bpe, byte_fallback: characters outside the vocabulary (e.g. the "\\n" that
  separates verses, which never occurs inside a training sentence) become <0xNN> pieces.
- identity normalization, remove_extra_whitespaces off: llama.cpp does no Unicode
  normalization and keeps every space, so the trainer must not either.
- add_dummy_prefix: the text is prefixed with one space ("▁") before encoding, as in
  Llama's own tokenizer (GGUF key tokenizer.ggml.add_space_prefix = true). But the
  trainer runs with the prefix OFF and the flag is switched on in the saved model: the
  model reads verses as one stream joined by "\n", where a verse's first word follows
  "\n", not a space. Training each line without the prefix makes the trainer count those
  line-initial words unprefixed ("And"), exactly as they occur in the stream, while words
  inside a verse stay "▁And". (With the prefix on during training, "\nAnd" would split
  into "A" "nd".) Encoding is a pure function of the pieces and scores, so flipping the
  flag afterwards only changes what is prepended to the input.
- ids 0/1/2 = <unk>/<s>/</s> (Llama's layout); no <pad>.
- character_coverage 1.0: every character of the training text gets a piece.
- one thread, no input sampling or shuffling: the result depends only on the input.
"""
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2  # needs Debian's python3-protobuf

VOCAB_SIZE = 2048


def train_tokenizer(train_txt_path, model_prefix, vocab_size=VOCAB_SIZE):
    """Trains on train_txt_path (one sentence per line); writes <model_prefix>.model
    (with add_dummy_prefix on, see above) and returns its path."""
    spm.SentencePieceTrainer.train(
        input=train_txt_path,
        model_prefix=model_prefix,
        model_type="bpe",
        vocab_size=vocab_size,
        byte_fallback=True,
        split_digits=True,
        split_by_whitespace=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        add_dummy_prefix=False,  # switched on below
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        character_coverage=1.0,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        max_sentence_length=16384,
        num_threads=1,
        minloglevel=2,
    )
    path = model_prefix + ".model"
    proto = sentencepiece_model_pb2.ModelProto()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    proto.normalizer_spec.add_dummy_prefix = True
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())
    return path


def load(model_path):
    return spm.SentencePieceProcessor(model_file=model_path)


def encode(sp, text):
    """Token ids of `text` (no BOS/EOS), exactly as the whole string is encoded."""
    return sp.encode(text, out_type=int)
