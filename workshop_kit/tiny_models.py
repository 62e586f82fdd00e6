"""Tiny pretrained-tier models with random weights, built and saved locally: no download, under 1 MB, seconds.

They have the real architectures and file layouts (``save_pretrained``), so the kit's real loading and generation
code runs on them exactly as on the published weights: the tests use them, the benchmark measures the wrappers'
overhead on them, and a trainer can try the pretrained path of a notebook on a laptop without the weights.
They make noise, not art.
"""

from __future__ import annotations

from pathlib import Path


def clip_tokenizer():
    """A CLIPTokenizer over a small byte-level vocabulary (every byte, alone and word-final; no merges)."""
    from transformers import CLIPTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    chars = list(bytes_to_unicode().values())
    tokens = chars + [c + "</w>" for c in chars] + ["<|startoftext|>", "<|endoftext|>"]
    return CLIPTokenizer(vocab={tok: i for i, tok in enumerate(tokens)}, merges=[], model_max_length=77)


def sd_turbo(folder: Path) -> Path:
    """A Stable Diffusion text-to-image pipeline of ~2 M random parameters, saved to ``folder``."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(block_out_channels=(8, 16), layers_per_block=1, sample_size=32, in_channels=4,
                                out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=16,
                                norm_num_groups=4, attention_head_dim=2)
    vae = AutoencoderKL(block_out_channels=(8, 16), in_channels=3, out_channels=3, latent_channels=4,
                        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
                        norm_num_groups=4)
    tokenizer = clip_tokenizer()
    text_encoder = CLIPTextModel(CLIPTextConfig(bos_token_id=len(tokenizer) - 2, eos_token_id=len(tokenizer) - 1,
                                                pad_token_id=len(tokenizer) - 1, hidden_size=16, intermediate_size=32,
                                                num_attention_heads=2, num_hidden_layers=2, vocab_size=len(tokenizer),
                                                max_position_embeddings=77, projection_dim=16))
    scheduler = EulerDiscreteScheduler(timestep_spacing="trailing", prediction_type="epsilon", steps_offset=1)
    pipe = StableDiffusionPipeline(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.save_pretrained(folder)
    return folder


def taesd(folder: Path) -> Path:
    """A tiny TAESD-like decoder (AutoencoderTiny) matching the tiny pipeline's 2× latent scale."""
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(0)
    AutoencoderTiny(encoder_block_out_channels=(8, 8), decoder_block_out_channels=(8, 8), num_encoder_blocks=(1, 1),
                    num_decoder_blocks=(1, 1)).save_pretrained(folder)
    return folder


def safety_checker(folder: Path, *, flag_everything: bool) -> Path:
    """A tiny Stable Diffusion safety checker whose thresholds flag every picture, or none."""
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    torch.manual_seed(0)
    config = CLIPConfig(text_config=dict(hidden_size=16, intermediate_size=32, num_attention_heads=2, num_hidden_layers=1),
                        vision_config=dict(hidden_size=16, intermediate_size=32, num_attention_heads=2,
                                           num_hidden_layers=1, image_size=32, patch_size=8),
                        projection_dim=16)
    checker = StableDiffusionSafetyChecker(config)
    with torch.no_grad():
        threshold = -2.0 if flag_everything else 2.0  # cosine scores lie in [-1, 1]
        checker.concept_embeds_weights.fill_(threshold)
        checker.special_care_embeds_weights.fill_(threshold)
    checker.save_pretrained(folder)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def musicgen(folder: Path) -> Path:
    """A MusicGen model of ~50 k random parameters (T5 text encoder, EnCodec at 50 frames/s, 2 codebooks)."""
    import torch
    from transformers import (EncodecConfig, EncodecFeatureExtractor, MusicgenConfig, MusicgenDecoderConfig,
                              MusicgenForConditionalGeneration, MusicgenProcessor, T5Config, T5Tokenizer)

    torch.manual_seed(0)
    text = T5Config(vocab_size=64, d_model=16, d_ff=32, num_layers=1, num_heads=2, d_kv=8)
    audio = EncodecConfig(hidden_size=16, num_filters=4, upsampling_ratios=(8, 5, 4, 4), codebook_size=64,
                          codebook_dim=16, num_lstm_layers=1, target_bandwidths=[1.5], sampling_rate=32000,
                          audio_channels=1)
    decoder = MusicgenDecoderConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                    ffn_dim=32, num_codebooks=2, max_position_embeddings=2048, pad_token_id=64,
                                    bos_token_id=64, decoder_start_token_id=64)
    model = MusicgenForConditionalGeneration(MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder))
    with torch.no_grad():  # EnCodec's codebooks start as zeros (they are learnt buffers): give them random vectors
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
    model.save_pretrained(folder)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [(c, -5.0) for c in letters] + [("▁" + c, -4.0) for c in letters]
    processor = MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(feature_size=1, sampling_rate=32000),
                                  tokenizer=T5Tokenizer(vocab=vocab, extra_ids=0))
    processor.save_pretrained(folder)
    return folder
