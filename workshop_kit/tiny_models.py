"""Tiny pretrained-tier models with random weights, built and saved locally: no download, under 1 MB, seconds.

They have the real architectures and file layouts (``save_pretrained``), so the kit's real loading and generation
code runs on them exactly as on the published weights: the tests use them, the benchmark measures the wrappers'
overhead on them, and a trainer can try the pretrained path of a notebook on a laptop without the weights.
They make noise, not art.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


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
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, UNet2DConditionModel
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
    return _save_sd(folder, unet, vae, text_encoder, tokenizer, scheduler)


def _save_sd(folder: Path, unet, vae, text_encoder, tokenizer, scheduler) -> Path:
    from diffusers import StableDiffusionPipeline

    StableDiffusionPipeline(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler,
                            safety_checker=None, feature_extractor=None,
                            requires_safety_checker=False).save_pretrained(folder)
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
    vision = dict(hidden_size=16, intermediate_size=32, num_attention_heads=2, num_hidden_layers=1, image_size=32,
                  patch_size=8)
    return _save_checker(folder, vision, projection=16, threshold=-2.0 if flag_everything else 2.0)


def _save_checker(folder: Path, vision: dict, *, projection: int, threshold: float) -> Path:
    """A safety checker over a CLIP vision tower of ``vision``'s shape, its thresholds all ``threshold`` (cosine
    scores lie in [-1, 1]: -2 flags every picture, 2 none), with its image processor."""
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    torch.manual_seed(0)
    text = dict(hidden_size=16, intermediate_size=32, num_attention_heads=2, num_hidden_layers=1)  # not used by it
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=projection)
    checker = StableDiffusionSafetyChecker(config)
    with torch.no_grad():
        checker.concept_embeds_weights.fill_(threshold)
        checker.special_care_embeds_weights.fill_(threshold)
    checker.save_pretrained(folder)
    side = vision["image_size"]
    CLIPImageProcessor(size={"shortest_edge": side}, crop_size={"height": side, "width": side}).save_pretrained(folder)
    return folder


def musicgen(folder: Path) -> Path:
    """A MusicGen model of ~50 k random parameters (T5 text encoder, EnCodec at 50 frames/s, 2 codebooks)."""
    import torch
    from transformers import (
        EncodecConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        T5Config,
    )

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
    return _save_musicgen(folder, model)


def _save_musicgen(folder: Path, model) -> Path:
    """Save ``model`` with a processor: EnCodec's feature extractor and a T5 tokenizer over the letters a to z."""
    from transformers import EncodecFeatureExtractor, MusicgenProcessor, T5Tokenizer

    model.save_pretrained(folder)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [(c, -5.0) for c in letters] + [("▁" + c, -4.0) for c in letters]
    processor = MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(feature_size=1, sampling_rate=32000),
                                  tokenizer=T5Tokenizer(vocab=vocab, extra_ids=0))
    processor.save_pretrained(folder)
    return folder


# ------------------------------------------------------------------------------------------------ Shap-E
# Tiny Shap-E pipelines with the real layouts of openai/shap-e (text → 3D) and openai/shap-e-img2img (image → 3D),
# sized like the dummy components of diffusers' own Shap-E tests. One thing random weights cannot give: the
# renderer's marching-cubes tables (mesh_decoder.cases and .masks) are buffers the published checkpoint holds and a
# fresh model leaves at zero, which would decode every shape to an empty mesh; marching_cubes_table() builds a valid
# table in the renderer's own corner and edge numbering.

EMBED = 16  # text/image embedding width
LATENT = 16  # width of each latent token (prior embedding_dim = renderer d_latent)
RENDERER = 8  # hidden width of the renderer's MLP


def _corner(c: int) -> np.ndarray:
    return np.array([c & 1, (c >> 1) & 1, (c >> 2) & 1])


def _edges() -> list[tuple[int, int]]:
    """The 12 cube edges as corner pairs, in the order of diffusers' ``_create_flat_edge_indices``.

    Corner ``c`` sits at ``(c & 1, c >> 1 & 1, c >> 2 & 1)``: bit 0 is x, bit 1 y, bit 2 z (the renderer's
    bitmask). Edges 0–3 run along x, 4–7 along y, 8–11 along z, each group ordered by its two other coordinates.
    """
    edges = []
    for axis in range(3):
        others = [a for a in range(3) if a != axis]
        for i in range(4):
            p = [0, 0, 0]
            p[others[0]], p[others[1]] = i & 1, i >> 1
            q = list(p)
            q[axis] = 1
            edges.append((p[0] + 2 * p[1] + 4 * p[2], q[0] + 2 * q[1] + 4 * q[2]))
    return edges


def marching_cubes_table() -> tuple[np.ndarray, np.ndarray]:
    """``cases (256, 5, 3)`` and ``masks (256, 5)`` for the renderer's marching cubes, built from first principles.

    For each of the 256 inside/outside patterns of a cube's corners, the cut edges are linked across each face (on
    a face with two diagonal inside corners, each inside corner is cut off on its own, so two neighbouring cubes
    always agree and the surface is closed), the links are walked into loops, each loop is turned to face the
    outside and split into a fan of triangles. No pattern needs more than 5.
    """
    edges = _edges()
    faces = []
    for axis in range(3):
        for side in (0, 1):
            corners = [c for c in range(8) if _corner(c)[axis] == side]
            faces.append((corners, [e for e, (a, b) in enumerate(edges) if a in corners and b in corners]))
    cases = np.zeros((256, 5, 3), dtype=np.int64)
    masks = np.zeros((256, 5), dtype=bool)
    for case in range(256):
        inside = [(case >> c) & 1 for c in range(8)]
        link: dict[int, list[int]] = {e: [] for e, (a, b) in enumerate(edges) if inside[a] != inside[b]}
        for corners, face_edges in faces:
            cut = [e for e in face_edges if e in link]
            if len(cut) == 2:
                pairs = [cut]
            elif len(cut) == 4:
                pairs = [[e for e in cut if c in edges[e]] for c in corners if inside[c]]
            else:
                pairs = []
            for a, b in pairs:
                link[a].append(b)
                link[b].append(a)
        if any(len(v) != 2 for v in link.values()):
            raise RuntimeError(f"marching cubes case {case}: an edge is not on exactly one loop")
        seen: set[int] = set()
        triangles = []
        for first in link:
            if first in seen:
                continue
            loop, prev, cur = [first], None, first
            seen.add(first)
            while True:
                nxt = link[cur][0] if link[cur][0] != prev else link[cur][1]
                if nxt == first:
                    break
                loop.append(nxt)
                seen.add(nxt)
                prev, cur = cur, nxt
            mids = [(_corner(edges[e][0]) + _corner(edges[e][1])) / 2 for e in loop]
            normal = sum(np.cross(mids[i], mids[(i + 1) % len(mids)]) for i in range(len(mids)))
            outward = sum(_corner(b) - _corner(a) if inside[a] else _corner(a) - _corner(b)
                          for a, b in (edges[e] for e in loop))
            if float(np.dot(normal, outward)) < 0:
                loop = loop[::-1]
            triangles += [(loop[0], loop[i], loop[i + 1]) for i in range(1, len(loop) - 1)]
        if len(triangles) > 5:
            raise RuntimeError(f"marching cubes case {case} needs {len(triangles)} triangles")
        for k, tri in enumerate(triangles):
            cases[case, k] = tri
            masks[case, k] = True
    return cases, masks


def _prior(embedding_proj_dim: int, *, num_embeddings: int = 32):
    from diffusers import PriorTransformer

    return PriorTransformer(num_attention_heads=2, attention_head_dim=8, embedding_dim=LATENT,
                            num_embeddings=num_embeddings, embedding_proj_dim=embedding_proj_dim,
                            time_embed_dim=4 * LATENT, num_layers=1, clip_embed_dim=2 * LATENT,
                            additional_embeddings=0, time_embed_act_fn="gelu", norm_in_type="layer",
                            embedding_proj_norm_type="layer", encoder_hid_proj_type=None, added_emb_type=None)


def _renderer():
    import torch
    from diffusers.pipelines.shap_e import ShapERenderer

    renderer = ShapERenderer(param_shapes=((RENDERER, 93), (RENDERER, RENDERER), (RENDERER, RENDERER),
                                           (RENDERER, RENDERER)),
                             d_latent=LATENT, d_hidden=RENDERER, n_output=12, background=(0.1, 0.1, 0.1))
    cases, masks = marching_cubes_table()
    with torch.no_grad():
        renderer.mesh_decoder.cases.copy_(torch.from_numpy(cases))
        renderer.mesh_decoder.masks.copy_(torch.from_numpy(masks))
    return renderer


def _scheduler():
    from diffusers import HeunDiscreteScheduler

    return HeunDiscreteScheduler(beta_schedule="exp", num_train_timesteps=1024, prediction_type="sample",
                                 use_karras_sigmas=True, clip_sample=True, clip_sample_range=1.0)


def shap_e(folder: Path) -> Path:
    """A text → 3D Shap-E pipeline (prior, CLIP text encoder with projection, renderer), saved to ``folder``."""
    import torch
    from diffusers import ShapEPipeline
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection

    torch.manual_seed(0)
    tokenizer = clip_tokenizer()
    text_encoder = CLIPTextModelWithProjection(CLIPTextConfig(
        bos_token_id=len(tokenizer) - 2, eos_token_id=len(tokenizer) - 1, pad_token_id=0, hidden_size=EMBED,
        projection_dim=EMBED, intermediate_size=32, layer_norm_eps=1e-05, num_attention_heads=2,
        num_hidden_layers=2, vocab_size=len(tokenizer), max_position_embeddings=77))
    pipe = ShapEPipeline(prior=_prior(EMBED), text_encoder=text_encoder, tokenizer=tokenizer,
                         scheduler=_scheduler(), shap_e_renderer=_renderer())
    pipe.save_pretrained(folder)
    return folder


def shap_e_img2img(folder: Path) -> Path:
    """An image → 3D Shap-E pipeline (prior, CLIP vision encoder and processor, renderer), saved to ``folder``.

    The vision encoder reads 32 × 32 pictures in 8 × 8 patches: 16 patch embeddings, one per latent token the prior
    reads alongside its own.
    """
    import torch
    from diffusers import ShapEImg2ImgPipeline
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    image_encoder = CLIPVisionModel(CLIPVisionConfig(hidden_size=EMBED, image_size=32, projection_dim=EMBED,
                                                     intermediate_size=32, num_attention_heads=2, num_channels=3,
                                                     num_hidden_layers=2, patch_size=8))
    processor = CLIPImageProcessor(crop_size={"height": 32, "width": 32}, do_center_crop=True, do_normalize=True,
                                   do_resize=True, image_mean=[0.48145466, 0.4578275, 0.40821073],
                                   image_std=[0.26862954, 0.26130258, 0.27577711], resample=3,
                                   size={"shortest_edge": 32})
    pipe = ShapEImg2ImgPipeline(prior=_prior(EMBED), image_encoder=image_encoder, image_processor=processor,
                                scheduler=_scheduler(), shap_e_renderer=_renderer())
    pipe.save_pretrained(folder)
    return folder


# ------------------------------------------------------------------------------------------------ real sizes
# The published architectures at their real size, with random weights, for the benchmark (`workshop-kit bench
# --pretrained-shapes`): what a generation costs does not depend on the weights' values. The configurations are
# those of stabilityai/sd-turbo (a Stable Diffusion 2.1 UNet, the OpenCLIP ViT-H/14 text tower), madebyollin/taesd
# and facebook/musicgen-small; the tokenizers are the small ones above (a prompt's token ids do not change the cost).
# The results are pictures and sounds of noise, gigabytes on disk: they live in the kit's cache, never in the pack.

SD_TURBO_PARAMETERS = {"unet": 865_910_724, "text_encoder": 340_387_840, "taesd_decoder": 1_222_531}
MUSICGEN_SMALL_PARAMETERS = {"decoder": 4.2e8, "text_encoder": 1.1e8, "audio_encoder": 5.7e7}


def sd_turbo_full(folder: Path) -> Path:
    """SD-Turbo's pipeline at its real size (UNet 866 M, text encoder 340 M parameters), random weights."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(320, 640, 1280, 1280),
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        cross_attention_dim=1024, attention_head_dim=(5, 10, 20, 20), use_linear_projection=True)
    # The full VAE is kept small: the kit decodes with TAESD; only its latent scale matters (8×, 4 channels).
    vae = AutoencoderKL(block_out_channels=(8, 8, 8, 8), in_channels=3, out_channels=3, latent_channels=4,
                        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                        norm_num_groups=4, scaling_factor=0.18215)
    tokenizer = clip_tokenizer()
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_attention_heads=16, num_hidden_layers=23,
        max_position_embeddings=77, hidden_act="gelu", projection_dim=512,
        bos_token_id=len(tokenizer) - 2, eos_token_id=len(tokenizer) - 1, pad_token_id=len(tokenizer) - 1))
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       timestep_spacing="trailing", prediction_type="epsilon", steps_offset=1)
    return _save_sd(folder, unet, vae, text_encoder, tokenizer, scheduler)


def taesd_full(folder: Path) -> Path:
    """TAESD at its real size (AutoencoderTiny's defaults are TAESD's: 64 channels, 1.2 M parameters each way)."""
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(0)
    AutoencoderTiny().save_pretrained(folder)
    return folder


def safety_checker_full(folder: Path) -> Path:
    """The Stable Diffusion safety checker at its real size (CLIP ViT-L/14 vision tower, 304 M parameters), random
    weights and thresholds that flag nothing: what the booth's check of each picture costs."""
    vision = dict(hidden_size=1024, intermediate_size=4096, num_attention_heads=16, num_hidden_layers=24,
                  image_size=224, patch_size=14)
    return _save_checker(folder, vision, projection=768, threshold=2.0)


def musicgen_small_full(folder: Path) -> Path:
    """MusicGen-small at its real size: decoder 420 M (24 layers, 4 codebooks), T5-base 110 M, EnCodec 32 kHz 57 M."""
    import torch
    from transformers import (
        EncodecConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        T5Config,
    )

    torch.manual_seed(0)
    text = T5Config(vocab_size=32128, d_model=768, d_ff=3072, num_layers=12, num_heads=12, d_kv=64)
    audio = EncodecConfig(hidden_size=128, num_filters=64, upsampling_ratios=(8, 5, 4, 4), codebook_size=2048,
                          codebook_dim=128, num_lstm_layers=2, target_bandwidths=[2.2], sampling_rate=32000,
                          audio_channels=1, normalize=False, use_causal_conv=False, norm_type="weight_norm")
    decoder = MusicgenDecoderConfig(vocab_size=2048, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                                    ffn_dim=4096, num_codebooks=4, max_position_embeddings=2048, pad_token_id=2048,
                                    bos_token_id=2048, decoder_start_token_id=2048, activation_function="gelu")
    model = MusicgenForConditionalGeneration(MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder))
    with torch.no_grad():
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
    model.generation_config.update(do_sample=True, guidance_scale=3.0, top_k=250, max_length=1500)
    return _save_musicgen(folder, model)
