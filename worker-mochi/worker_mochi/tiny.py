"""A tiny, randomly initialised Mochi pipeline built entirely in memory (no download).

It runs the real diffusers ``MochiPipeline`` code path - T5 text encoder, Mochi transformer,
flow-matching scheduler, Mochi VAE decoder - at a size that renders 7 frames of 64x64 on a CPU in
seconds. The output is noise; it exists for tests and for local smoke runs of the worker.
"""

from __future__ import annotations

import string
from typing import Any

import torch

TINY_MAX_SEQUENCE_LENGTH = 64
_SPECIAL_TOKENS = ["<pad>", "</s>", "<unk>"]


def build_tiny_tokenizer() -> Any:
    """A character-level tokenizer with T5's special tokens (pad 0, eos 1, unk 2)."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    alphabet = string.ascii_lowercase + string.ascii_uppercase + string.digits + " .,;:!?'-"
    vocab = {token: index for index, token in enumerate(_SPECIAL_TOKENS)}
    for char in alphabet:
        vocab.setdefault(char, len(vocab))
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    backend.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", vocab["</s>"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=TINY_MAX_SEQUENCE_LENGTH,
    )


def build_tiny_pipeline(dtype: torch.dtype = torch.float32, seed: int = 0) -> Any:
    """A ``MochiPipeline`` with tiny random components (same seed, same weights)."""
    from diffusers import (
        AutoencoderKLMochi,
        FlowMatchEulerDiscreteScheduler,
        MochiPipeline,
        MochiTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    tokenizer = build_tiny_tokenizer()
    torch.manual_seed(seed)
    text_encoder = T5EncoderModel(
        T5Config(
            vocab_size=len(tokenizer),
            d_model=32,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            feed_forward_proj="gated-gelu",
            pad_token_id=0,
            eos_token_id=1,
        )
    )
    transformer = MochiTransformer3DModel(
        patch_size=2,
        num_attention_heads=2,
        attention_head_dim=8,
        num_layers=2,
        pooled_projection_dim=16,
        in_channels=12,
        qk_norm="rms_norm",
        text_embed_dim=32,
        time_embed_dim=4,
        activation_fn="swiglu",
        max_sequence_length=TINY_MAX_SEQUENCE_LENGTH,
    )
    vae = AutoencoderKLMochi(
        latent_channels=12,
        out_channels=3,
        encoder_block_out_channels=(32, 32, 32, 32),
        decoder_block_out_channels=(32, 32, 32, 32),
        layers_per_block=(1, 1, 1, 1, 1),
    )
    for module in (text_encoder, transformer, vae):
        module.eval()  # built modules start in training mode (dropout on); from_pretrained's don't
    pipe = MochiPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )
    return pipe.to(dtype=dtype)
