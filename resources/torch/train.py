#!/usr/bin/env python3
"""Face Studio's self-supervised pre-training (ProS/DINO) in PyTorch, for a cluster.

Written by `face-studio pretrain --project P --export-torch DIR` beside:
  config.json    the run's config, every default filled in, each key explained under `$comments`
  recipe.json    the resolved model (ViT and head sizes) and crop sizes the studio derived from it
  manifest.jsonl one line per face of the project's curated pool: {"file", "width", "height",
                 "crop": {"x", "y", "width", "height"} or null}

Run it with torchrun (one process per GPU; gloo on CPUs):
  torchrun --nnodes N --nproc_per_node G train.py train --out OUT [--path-map OLD=NEW]...
It checkpoints to OUT/checkpoints/latest.pt every `checkpointEvery` steps and at the end, resumes
from there by itself (with any number of processes), and writes the teacher of each checkpoint to
OUT/teacher.safetensors, which `face-studio import-backbone OUT/teacher.safetensors --project P`
brings back into the studio. `python3 train.py check-data` checks the manifest's files;
`features` computes a teacher's tokens and `step-check` recomputes one engine step (the studio's
tests use both to check that this file and the engine compute the same).

The step is the studio engine's, choice for choice (the engine file each part mirrors):
  ViT, trunc-normal 0.02 init, fan-in uniform patch embedding   src-main/engine/model/vit.ts, params.ts
  head MLP → L2 norm → weight-normalised prototypes              src-main/engine/model/dino-head.ts
  2 global + L local crops, flip, colour jitter, grey, blur,     src-main/engine/pretrain/augment.ts
  solarise; ImageNet normalisation                              src-main/engine/model/normalise.ts
  centred, sharpened teacher; loss over pairs g ≠ v; KoLeo        src-main/engine/pretrain/loss.ts
  lr warm-up + cosine, wd cosine, τt warm-up, EMA momentum cosine src-main/engine/optim/schedules.ts
  AdamW (no decay on biases and norms), per-tensor clipping,      src-main/engine/optim/adamw.ts
  prototypes frozen for the first epoch(s)
  teacher = EMA of the student                                  src-main/engine/pretrain/ema.ts
  data order: one seeded permutation of the pool per epoch       src-main/engine/pretrain/pretrain.ts
  crop: the curation box, black past the image, resized square   src-main/engine/data/project-faces.ts
Distributed: each step's batch of `batchSize` faces is the same for any number of processes; rank
r takes its share of it (and draws its own augmentations), DDP averages the student's gradients
(each share's loss weighted by its size, so the gradient is the whole batch's mean), the teacher's
logit sums are all-reduced for the centre, and every rank applies the same EMA to the same weights. `microBatch` and
`workers` (the studio's memory cap and thread count) are not used here.
"""
import argparse
import datetime
import json
import math
import os
import socket
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN = (0.485, 0.456, 0.406)  # engine/model/normalise.ts
STD = (0.229, 0.224, 0.225)
GREY = (0.299, 0.587, 0.114)


# The keys of config.json this file reads (engine/pretrain/pretrain-config.ts describes each).
CONFIG_KEYS = ('seed', 'epochs', 'maxSteps', 'batchSize', 'localCrops', 'globalScale', 'localScale', 'colourJitter',
               'solarize', 'studentTemperature', 'teacherTemperature', 'teacherTemperatureFinal',
               'teacherTemperatureWarmup', 'centerMomentum', 'lr', 'minLr', 'warmupEpochs', 'weightDecay',
               'weightDecayEnd', 'gradClip', 'freezePrototypesEpochs', 'momentum', 'momentumEnd', 'koleoWeight',
               'checkpointEvery')


def fail(message):
    """Stops with one clear line (every rank reaches the same checks, so all stop)."""
    print(f'train.py: {message}', file=sys.stderr, flush=True)
    raise SystemExit(1)


# ---------------------------------------------------------------- inputs: config, recipe, pool

def read_json(path, what):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except FileNotFoundError:
        fail(f'{path}: {what} is missing')
    except json.JSONDecodeError as e:
        fail(f'{path}: {what} is not valid JSON ({e})')


def path_maps(pairs):
    out = []
    for pair in pairs:
        old, sep, new = pair.partition('=')
        if not sep or not old:
            fail(f'--path-map {pair}: expected OLD=NEW')
        out.append((old, new))
    return out


def remap(path, maps):
    for old, new in maps:
        if path.startswith(old):
            return new + path[len(old):]
    return path


def read_manifest(path, maps, check=True):
    faces = []
    try:
        lines = open(path, encoding='utf-8').read().splitlines()
    except FileNotFoundError:
        fail(f'{path}: the pool manifest is missing')
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            crop = row['crop']
            face = {'file': remap(str(row['file']), maps), 'width': int(row['width']),
                    'height': int(row['height']),
                    'crop': None if crop is None else tuple(float(crop[k]) for k in ('x', 'y', 'width', 'height'))}
        except (ValueError, KeyError, TypeError) as e:
            fail(f'{path} line {number}: not a face record ({e!r})')
        faces.append(face)
    if not faces:
        fail(f'{path}: the pool manifest lists no faces')
    missing = [f['file'] for f in faces if check and not os.path.isfile(f['file'])]
    if missing:
        more = f' (and {len(missing) - 3} more)' if len(missing) > 3 else ''
        fail(f'{path}: {len(missing)} of {len(faces)} image files are missing: '
             + ', '.join(missing[:3]) + more + '. Rewrite their folder with --path-map OLD=NEW')
    return faces


def crop_face(face, size):
    """The face's curation crop as size×size×3 uint8 (engine/data/project-faces.ts cropPlan: integer
    box, black where it runs past the image, then resized to a square)."""
    from PIL import Image
    try:
        with Image.open(face['file']) as im:
            im = im.convert('RGB')
            w, h = im.size
            c = face['crop'] or (0, 0, face['width'], face['height'])
            sx, sy = w / face['width'], h / face['height']  # crop boxes are in the recorded pixels
            x0, y0 = round(c[0] * sx), round(c[1] * sy)
            x1, y1 = max(x0 + 1, round((c[0] + c[2]) * sx)), max(y0 + 1, round((c[1] + c[3]) * sy))
            cut = im.crop((x0, y0, x1, y1))  # PIL fills the part outside the image with black
            return np.asarray(cut.resize((size, size), Image.LANCZOS), dtype=np.uint8)
    except OSError as e:
        fail(f'{face["file"]}: cannot be decoded and cropped ({e})')


class Faces(torch.utils.data.Dataset):
    def __init__(self, faces, size):
        self.faces, self.size = faces, size

    def __len__(self):
        return len(self.faces)

    def __getitem__(self, i):
        return torch.from_numpy(crop_face(self.faces[i], self.size).copy())


# ---------------------------------------------------------------- the model (engine/model/)

class Block(nn.Module):
    def __init__(self, d, heads, hidden):
        super().__init__()
        self.heads = heads
        self.n1, self.qkv, self.proj = nn.LayerNorm(d, eps=1e-6), nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.n2, self.f1, self.f2 = nn.LayerNorm(d, eps=1e-6), nn.Linear(d, hidden), nn.Linear(hidden, d)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(self.n1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = ((q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, n, d))
        return x + self.f2(F.gelu(self.f1(self.n2(x))))


class ViT(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.patch, self.grid = c['dim'], c['patchSize'], c['imageSize'] // c['patchSize']
        self.embed = nn.Conv2d(3, d, self.patch, self.patch)  # PyTorch's default init = the engine's fanInUniform
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.zeros(1, self.grid ** 2 + 1, d))
        self.blocks = nn.ModuleList([Block(d, c['heads'], d * c['mlpRatio']) for _ in range(c['depth'])])
        self.norm = nn.LayerNorm(d, eps=1e-6)
        nn.init.trunc_normal_(self.cls, std=0.02, a=-0.04, b=0.04)
        nn.init.trunc_normal_(self.pos, std=0.02, a=-0.04, b=0.04)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02, a=-0.04, b=0.04)
                nn.init.zeros_(m.bias)

    def positions(self, n):
        """Bicubic resize of the patch positions for smaller crops (vit.ts positionResizeMatrix)."""
        if n == self.grid:
            return self.pos
        grid = self.pos[:, 1:].reshape(1, self.grid, self.grid, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(n, n), mode='bicubic', align_corners=False)
        return torch.cat([self.pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, n * n, -1)], 1)

    def tokens(self, x):
        """Normalised images [B, 3, S, S] → every token after the final norm [B, 1 + g², dim]."""
        t = self.embed(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(x.shape[0], -1, -1), t], 1) + self.positions(x.shape[-1] // self.patch)
        for block in self.blocks:
            t = block(t)
        return self.norm(t)


class Head(nn.Module):
    def __init__(self, dim, c):
        super().__init__()
        hidden, bottleneck = c['hiddenDim'], c['bottleneckDim']
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, bottleneck))
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02, a=-0.04, b=0.04)
                nn.init.zeros_(m.bias)
        self.proto = nn.Parameter(torch.empty(c['prototypes'], bottleneck))
        nn.init.trunc_normal_(self.proto, std=0.02, a=-0.04, b=0.04)

    def forward(self, f):
        return F.normalize(self.mlp(f), dim=-1) @ F.normalize(self.proto, dim=-1).t()


class Model(nn.Module):
    """ViT + head. One forward call takes every view (DDP needs one forward per backward)."""

    def __init__(self, model):
        super().__init__()
        self.vit, self.head = ViT(model['vit']), Head(model['vit']['dim'], model['head'])

    def forward(self, views):
        cls = [self.vit.tokens(v)[:, 0] for v in views]
        return self.head(torch.cat(cls)), cls[0]  # logits of every view; CLS of the globals (KoLeo)


def engine_pairs(c, head):
    """(engine name, name here, transposed) for every tensor but the patch embedding, CLS and
    positions (vit.ts, dino-head.ts): linear weights and prototypes are [in, out] in the engine,
    [out, in] here. The one table both directions read."""
    pairs = []
    for i in range(c['depth']):
        b, t = f'block{i}.', f'vit.blocks.{i}.'
        for a, m in (('norm1', 'n1'), ('norm2', 'n2')):
            pairs += [(b + a + '.g', t + m + '.weight', False), (b + a + '.b', t + m + '.bias', False)]
        for a, m in (('qkv', 'qkv'), ('proj', 'proj'), ('fc1', 'f1'), ('fc2', 'f2')):
            pairs += [(b + a + '.w', t + m + '.weight', True), (b + a + '.b', t + m + '.bias', False)]
    pairs += [('norm.g', 'vit.norm.weight', False), ('norm.b', 'vit.norm.bias', False)]
    if head:
        for a, j in (('fc1', 0), ('fc2', 2), ('fc3', 4)):
            pairs += [(f'head.{a}.w', f'head.mlp.{j}.weight', True), (f'head.{a}.b', f'head.mlp.{j}.bias', False)]
        pairs.append(('head.prototypes', 'head.proto', True))
    return pairs


def engine_names(model, state):
    """This model's state dict → the engine's tensors by name, in its shapes (vit.ts, dino-head.ts):
    linear weights [in, out]; the patch embedding a linear layer on patches flattened (row, column,
    channel); prototypes [bottleneck, K]."""
    c = model['vit']
    p, d = c['patchSize'], c['dim']
    s = {k.removeprefix('module.'): v.detach().float().cpu() for k, v in state.items()}
    out = {'patch.w': s['vit.embed.weight'].permute(2, 3, 1, 0).reshape(p * p * 3, d),
           'patch.b': s['vit.embed.bias'], 'cls': s['vit.cls'].reshape(1, d), 'pos': s['vit.pos'].reshape(-1, d)}
    for engine, here, transposed in engine_pairs(c, 'head.proto' in s):
        out[engine] = s[here].t() if transposed else s[here]
    return {k: v.contiguous() for k, v in out.items()}


def state_from_engine(model, tensors):
    """The engine's tensors by name → this model's state dict (the inverse of engine_names); the
    head's entries only when the tensors hold a head."""
    c = model['vit']
    p, d = c['patchSize'], c['dim']
    E = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in tensors.items()}
    sd = {'vit.embed.weight': E['patch.w'].reshape(p, p, 3, d).permute(3, 2, 0, 1), 'vit.embed.bias': E['patch.b'],
          'vit.cls': E['cls'].reshape(1, 1, d), 'vit.pos': E['pos'].reshape(1, -1, d)}
    for engine, here, transposed in engine_pairs(c, 'head.prototypes' in E):
        sd[here] = E[engine].t() if transposed else E[engine]
    return {k: v.contiguous() for k, v in sd.items()}


def vit_from_engine(c, tensors):
    """A ViT loaded from the engine's tensors (a teacher file's backbone)."""
    vit = ViT(c)
    sd = state_from_engine({'vit': c}, {k: v for k, v in tensors.items() if not k.startswith('head.')})
    vit.load_state_dict({k.removeprefix('vit.'): v for k, v in sd.items()})
    return vit.eval()


# ---------------------------------------------------------------- safetensors (teacher file)

def write_safetensors(path, tensors, metadata):
    """The safetensors format: 8-byte little-endian header length, a JSON header {name: {dtype,
    shape, data_offsets}, "__metadata__": {str: str}}, then the raw little-endian bytes."""
    header, blobs, at = {'__metadata__': {k: str(v) for k, v in metadata.items()}}, [], 0
    for name in sorted(tensors):
        data = tensors[name].numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape), 'data_offsets': [at, at + len(data)]}
        blobs.append(data)
        at += len(data)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    atomic_write(path, lambda f: (f.write(struct.pack('<Q', len(text))), f.write(text), [f.write(b) for b in blobs]))


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 8:
        fail(f'{path}: too short for a safetensors file')
    n = struct.unpack('<Q', raw[:8])[0]
    try:
        header = json.loads(raw[8:8 + n])
    except ValueError as e:
        fail(f'{path}: the safetensors header is not JSON ({e})')
    meta = header.pop('__metadata__', {})
    out = {}
    for name, t in header.items():
        if t['dtype'] != 'F32':
            fail(f'{path}: tensor {name} is {t["dtype"]}, not F32')
        a, b = t['data_offsets']
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype='<f4').reshape(t['shape']).copy()
    return out, meta


def atomic_write(path, write):
    """Writes through a temp file in the same folder, fsync'd, renamed over `path`, folder fsync'd."""
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'wb') as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- augmentation (augment.ts)

def crop_boxes(g, n, scale):
    """torchvision's RandomResizedCrop boxes (normalised, square source), 10 tries then whole."""
    area = torch.empty(n, 10).uniform_(scale[0], scale[1], generator=g)
    ratio = torch.exp(torch.empty(n, 10).uniform_(math.log(3 / 4), math.log(4 / 3), generator=g))
    w, h = torch.sqrt(area * ratio), torch.sqrt(area / ratio)
    ok = (w <= 1) & (h <= 1)
    first = torch.where(ok.any(1), ok.float().argmax(1), torch.zeros(n, dtype=torch.long))
    w = torch.where(ok.any(1), w.gather(1, first[:, None])[:, 0], torch.ones(n))
    h = torch.where(ok.any(1), h.gather(1, first[:, None])[:, 0], torch.ones(n))
    x = torch.rand(n, generator=g) * (1 - w)
    y = torch.rand(n, generator=g) * (1 - h)
    return x, y, w, h


def hue_matrices(hue):
    t = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    ti = torch.tensor([[1, 0.956, 0.621], [1, -0.272, -0.647], [1, -1.106, 1.703]])
    c, s = torch.cos(2 * math.pi * hue), torch.sin(2 * math.pi * hue)
    r = torch.zeros(hue.shape[0], 3, 3)
    r[:, 0, 0] = 1
    r[:, 1, 1], r[:, 1, 2], r[:, 2, 1], r[:, 2, 2] = c, -s, s, c
    return ti @ r @ t


def blur(x, sigma, radius):
    n, _, s, _ = x.shape
    taps = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    sig = sigma.to(x.device).clamp(min=1e-6)[:, None]
    k = torch.exp(-taps[None] ** 2 / (2 * sig ** 2))
    k = torch.where(sigma.to(x.device)[:, None] > 0, k, (taps[None] == 0).to(x.dtype))
    k = (k / k.sum(1, keepdim=True)).repeat_interleave(3, 0)
    y = x.reshape(1, 3 * n, s, s)
    mode = 'reflect' if radius < s else 'replicate'
    y = F.conv2d(F.pad(y, (radius, radius, 0, 0), mode=mode), k.view(3 * n, 1, 1, -1), groups=3 * n)
    y = F.conv2d(F.pad(y, (0, 0, radius, radius), mode=mode), k.view(3 * n, 1, -1, 1), groups=3 * n)
    return y.view(n, 3, s, s)


def views_of(images, size, rows, g, scale, blur_p, solar_p, sigma_scale, strength):
    """`rows` views of each image (view-major), as augment.ts applyPlans: crop + flip, brightness,
    contrast, hue, saturation (0 = greyscale), blur, solarise, then normalise."""
    b, dev = images.shape[0], images.device
    n = b * rows
    x0, y0, w, h = crop_boxes(g, n, scale)
    flip = torch.rand(n, generator=g) < 0.5
    jitter = (torch.rand(n, generator=g) < 0.8).float()

    def around(centre, spread):
        return centre + jitter * torch.empty(n).uniform_(-spread * strength, spread * strength, generator=g)
    brightness, contrast, saturation, hue = around(1, 0.4), around(1, 0.4), around(1, 0.2), around(0, 0.1)
    saturation = torch.where(torch.rand(n, generator=g) < 0.2, torch.zeros(n), saturation)
    sigma = torch.where(torch.rand(n, generator=g) < blur_p,
                        torch.empty(n).uniform_(0.1, 2.0, generator=g) * sigma_scale, torch.zeros(n))
    solar = torch.rand(n, generator=g) < solar_p
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = torch.where(flip, -w, w)
    theta[:, 0, 2] = (x0 + w / 2) * 2 - 1
    theta[:, 1, 1] = h
    theta[:, 1, 2] = (y0 + h / 2) * 2 - 1
    src = images.repeat(rows, 1, 1, 1)
    grid = F.affine_grid(theta.to(dev), (n, 3, size, size), align_corners=False)
    x = F.grid_sample(src, grid, mode='bilinear', padding_mode='border', align_corners=False)
    col = lambda v: v.to(dev).view(n, 1, 1, 1)  # noqa: E731
    greyw = torch.tensor(GREY, device=dev).view(1, 3, 1, 1)
    x = (x * col(brightness)).clamp(0, 1)
    m = (x * greyw).sum(1, keepdim=True).mean((2, 3), keepdim=True)
    x = ((x - m) * col(contrast) + m).clamp(0, 1)
    x = torch.einsum('nij,njhw->nihw', hue_matrices(hue).to(dev), x).clamp(0, 1)
    grey = (x * greyw).sum(1, keepdim=True)
    x = (grey + (x - grey) * col(saturation)).clamp(0, 1)
    if (sigma > 0).any():
        x = blur(x, sigma, max(1, math.ceil(3 * 2.0 * sigma_scale)))
    x = torch.where(col(solar) & (x >= 0.5), 1 - x, x)
    mean, std = torch.tensor(MEAN, device=dev).view(1, 3, 1, 1), torch.tensor(STD, device=dev).view(1, 3, 1, 1)
    return (x - mean) / std


def make_views(images, recipe, config, g):
    """Two global views (global 2 with blur p 0.1 and solarise) and L locals, as makeViews."""
    a, b = recipe['augment'], images.shape[0]
    s_global = a['globalSize'] / 224
    g1 = views_of(images, a['globalSize'], 1, g, config['globalScale'], 1.0, 0.0, s_global, config['colourJitter'])
    g2 = views_of(images, a['globalSize'], 1, g, config['globalScale'], 0.1, config['solarize'], s_global,
                  config['colourJitter'])
    views = [torch.cat([g1, g2])]
    if config['localCrops'] > 0:
        views.append(views_of(images, a['localSize'], config['localCrops'], g, config['localScale'], 0.5, 0.0,
                              a['localSize'] / 96, config['colourJitter']))
    return views


# ---------------------------------------------------------------- schedules (schedules.ts)

def cosine(start, end, step, total):
    if total <= 0:
        return end
    t = min(max(step / total, 0), 1)
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * t))


def learning_rate(step, total, warmup, peak, low):
    return peak * step / warmup if step < warmup else cosine(peak, low, step - warmup, total - warmup)


def teacher_temperature(step, total, start, end, fraction):
    warm = math.floor(total * fraction)
    return end if step >= warm else start + (end - start) * step / warm


def dino_loss(targets, s_logits, n_views, temperature):
    """Mean over (teacher global view g, student view v ≠ g) of −Σk Pt(g)k · log Ps(v)k (loss.ts
    dinoLoss); views are view-major, the first two the globals."""
    logp = F.log_softmax(s_logits / temperature, -1).chunk(n_views)
    pairs = [(-(q * logp[v]).sum(-1)).mean() for gi, q in enumerate(targets.chunk(2))
             for v in range(n_views) if v != gi]
    return sum(pairs) / len(pairs)


def koleo(features):
    x = F.normalize(features, dim=-1)
    sim = x @ x.t() - 4 * torch.eye(x.shape[0], device=x.device)
    dist_ = torch.sqrt((2 - 2 * sim.max(1).values).clamp(min=1e-8))
    return -torch.log(dist_ + 1e-8).mean()


# ---------------------------------------------------------------- training

def setup():
    """World size, rank, device and backend: NCCL on GPUs, gloo on CPUs; no group without torchrun."""
    world = int(os.environ.get('WORLD_SIZE', '1'))
    rank, local = int(os.environ.get('RANK', '0')), int(os.environ.get('LOCAL_RANK', '0'))
    use_cuda = torch.cuda.is_available() and os.environ.get('FACE_STUDIO_DEVICE', 'auto') != 'cpu'
    device = torch.device(f'cuda:{local}') if use_cuda else torch.device('cpu')
    if use_cuda:
        torch.cuda.set_device(device)
    backend = 'nccl' if use_cuda else 'gloo'
    if 'WORLD_SIZE' in os.environ:
        dist.init_process_group(backend)
    return world, rank, device, backend


def all_sum(t, world):
    if world > 1:
        dist.all_reduce(t)
    return t


def load_inputs(args, check=True):
    config_file = os.path.join(args.recipe, 'config.json')
    config = read_json(config_file, 'the run config')
    config.pop('$comments', None)
    missing = [k for k in CONFIG_KEYS if k not in config]
    if missing:
        fail(f'{config_file}: no {", ".join(missing)} (export the recipe again with this studio)')
    recipe = read_json(os.path.join(args.recipe, 'recipe.json'), 'the recipe')
    if recipe.get('format') != 'face-studio-torch-recipe' or recipe.get('version') != 1:
        fail(f'{os.path.join(args.recipe, "recipe.json")}: not a version 1 Face Studio recipe')
    faces = read_manifest(os.path.join(args.recipe, 'manifest.jsonl'), path_maps(args.path_map), check)
    return config, recipe, faces


def train(args):
    world, rank, device, backend = setup()
    # Rank 0 checks every image exists (one pass over the storage, not one per process); if it
    # stops, torchrun stops the others.
    config, recipe, faces = load_inputs(args, check=rank == 0)
    ckpt_dir = os.path.join(args.out, 'checkpoints')
    ckpt_file = os.path.join(ckpt_dir, 'latest.pt')
    if rank == 0:
        os.makedirs(ckpt_dir, exist_ok=True)
    found = os.path.isfile(ckpt_file)
    if world > 1:
        seen = [None] * world
        dist.all_gather_object(seen, found)
        if len(set(seen)) > 1:
            fail(f'{ckpt_file} exists for {sum(seen)} of {world} processes: put --out on storage every node shares')
    resumed = torch.load(ckpt_file, map_location='cpu') if found else None
    if resumed is not None:
        # As the studio's resume: the saved config, with this launch's step limit.
        config = {**resumed['config'], 'maxSteps': config['maxSteps']}
    if args.max_steps is not None:
        config['maxSteps'] = args.max_steps
    batch = config['batchSize']
    if len(faces) < batch:
        fail(f'pre-training needs at least {batch} faces (one batch); the manifest has {len(faces)}')
    if batch < world:
        fail(f'batchSize {batch} is smaller than the {world} processes: each needs a face per step')
    steps_per_epoch = len(faces) // batch
    total = steps_per_epoch * config['epochs']
    last = min(total, config['maxSteps']) if config['maxSteps'] > 0 else total
    warmup = round(config['warmupEpochs'] * steps_per_epoch)
    peak = config['lr'] * batch / 256

    torch.manual_seed(config['seed'])  # the same init on every rank (DDP also broadcasts rank 0's)
    student = Model(recipe['model']).to(device)
    teacher = Model(recipe['model']).to(device)
    teacher.load_state_dict(student.state_dict())
    for q in teacher.parameters():
        q.requires_grad = False
    decay = [q for q in student.parameters() if q.ndim > 1]  # never biases or norms (params.ts)
    no_decay = [q for q in student.parameters() if q.ndim <= 1]
    opt = torch.optim.AdamW([{'params': decay}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=0, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    center = torch.zeros(1, recipe['model']['head']['prototypes'], device=device)
    step, segments = 0, []
    if resumed is not None:
        student.load_state_dict(resumed['student'])
        teacher.load_state_dict(resumed['teacher'])
        opt.load_state_dict(resumed['optimizer'])
        center = resumed['center'].to(device)
        step, segments = resumed['step'], resumed['segments']
    ddp = nn.parallel.DistributedDataParallel(student, device_ids=[device.index] if device.type == 'cuda' else None) \
        if world > 1 else student

    hosts = [None] * world
    if world > 1:
        dist.all_gather_object(hosts, socket.gethostname())
    else:
        hosts = [socket.gethostname()]
    segment = {'host': hosts[0], 'hosts': sorted(set(hosts)), 'worldSize': world, 'backend': backend,
               'device': torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu',
               'torch': torch.__version__, 'startedAt': now(), 'endedAt': None, 'seconds': 0.0,
               'fromStep': step, 'toStep': step}
    started = time.time()
    if rank == 0:
        print(json.dumps({'event': 'start', 'step': step, 'lastStep': last, 'worldSize': world, 'backend': backend,
                          'resumed': resumed is not None, 'faces': len(faces)}), flush=True)

    first = step

    class Steps:
        """Each step's batch (one seeded permutation of the pool per epoch, as pretrain.ts) and this
        rank's share of it, from `step` to `last`: the same batches for any number of processes."""

        def __len__(self):
            return last - first

        def __iter__(self):
            order, epoch = None, None
            for s in range(first, last):
                if s // steps_per_epoch != epoch:
                    epoch = s // steps_per_epoch
                    order = torch.randperm(len(faces), generator=torch.Generator().manual_seed(
                        config['seed'] * 1_000_003 + epoch)).numpy()
                at = (s % steps_per_epoch) * batch
                yield np.array_split(order[at:at + batch], world)[rank].tolist()

    dataset = Faces(faces, recipe['augment']['globalSize'])
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=Steps(), num_workers=args.loader_workers,
                                         pin_memory=device.type == 'cuda')

    teacher_file = os.path.join(args.out, 'teacher.safetensors')

    def save():
        """The checkpoint, then the teacher beside it (rank 0), so a run stopped by the scheduler
        still leaves a teacher to import that matches its last checkpoint."""
        segment['endedAt'], segment['seconds'], segment['toStep'] = now(), round(time.time() - started, 3), step
        if rank != 0:
            return
        done = segments + [segment]
        state = {'step': step, 'config': config, 'student': student.state_dict(), 'teacher': teacher.state_dict(),
                 'optimizer': opt.state_dict(), 'center': center.cpu(), 'segments': done, 'loss': loss_value}
        atomic_write(ckpt_file, lambda f: torch.save(state, f))
        write_safetensors(teacher_file, engine_names(recipe['model'], teacher.state_dict()), {
            'format': 'face-studio-teacher', 'version': 1, 'vit': json.dumps(recipe['model']['vit']),
            'head': json.dumps(recipe['model']['head']), 'config': json.dumps(config), 'step': step,
            'totalSteps': total, 'faces': len(faces), 'finalLoss': json.dumps(loss_value),
            'project': json.dumps(recipe.get('project')), 'segments': json.dumps(done),
            'seconds': round(sum(s['seconds'] for s in done), 3)})

    loss_value = resumed.get('loss') if resumed is not None else None
    for images in loader:
        epoch = step // steps_per_epoch
        lr = learning_rate(step, total, warmup, peak, config['minLr'])
        wd = cosine(config['weightDecay'], config['weightDecayEnd'], step, total)
        momentum = cosine(config['momentum'], config['momentumEnd'], step, total)
        tau = teacher_temperature(step, total, config['teacherTemperature'], config['teacherTemperatureFinal'],
                                  config['teacherTemperatureWarmup'])
        opt.param_groups[0]['lr'] = opt.param_groups[1]['lr'] = lr
        opt.param_groups[0]['weight_decay'] = wd

        x = images.to(device, non_blocking=True).permute(0, 3, 1, 2).float() / 255
        g = torch.Generator().manual_seed(config['seed'] * 7_919 + step * 65_537 + rank)
        with torch.no_grad():
            views = make_views(x, recipe, config, g)
            t_logits, _ = teacher(views[:1])
            targets = F.softmax((t_logits - center) / tau, -1)
        s_logits, feats = ddp(views)
        loss = dino_loss(targets, s_logits, 2 + config['localCrops'], config['studentTemperature'])
        if config['koleoWeight'] > 0:
            loss = loss + config['koleoWeight'] * torch.stack([koleo(h) for h in feats.chunk(2)]).mean()
        with torch.no_grad():
            # One all-reduce: the teacher's logit sums and rows (the centre), the loss and the
            # targets' entropy, each weighted by the share's faces.
            entropy = -(targets * torch.log(targets + 1e-12)).sum(-1).mean()
            stats = all_sum(torch.cat([t_logits.sum(0), torch.stack([
                loss.detach() * x.shape[0], entropy * x.shape[0],
                torch.tensor(float(t_logits.shape[0]), device=device)])]), world)
            k = center.shape[1]
            loss_value, entropy_value = stats[k].item() / batch, stats[k + 1].item() / batch
        if not math.isfinite(loss_value):  # before any weight changes, as pretrain.ts
            kept = (f'the last good checkpoint is {ckpt_file}' if os.path.isfile(ckpt_file)
                    else 'no checkpoint was written')
            fail(f'the loss became {loss_value} at step {step}; {kept}. Try a lower learning rate.')
        # DDP averages gradients over ranks: weight each share by its size so the step is the batch mean.
        share = x.shape[0] * world / batch
        opt.zero_grad(set_to_none=True)
        (loss * share).backward()
        if epoch < config['freezePrototypesEpochs']:
            student.head.proto.grad = None  # skipped whole by AdamW, as adamw.ts `frozen`
        clip = config['gradClip']
        if clip > 0:
            for q in student.parameters():
                if q.grad is not None:
                    norm = q.grad.norm()
                    if norm > clip:
                        q.grad.mul_(clip / (norm + 1e-6))
        opt.step()
        with torch.no_grad():
            for ps, pt in zip(student.parameters(), teacher.parameters()):
                pt.mul_(momentum).add_(ps.detach(), alpha=1 - momentum)
            center = center * config['centerMomentum'] + stats[:k].view(1, -1) / stats[k + 2] * (
                1 - config['centerMomentum'])
        step += 1
        if rank == 0:
            speed = (step - first) * batch / (time.time() - started)
            print(json.dumps({'step': step, 'totalSteps': last, 'epoch': epoch, 'loss': round(loss_value, 6),
                              'teacherEntropy': round(entropy_value, 6), 'lr': lr, 'weightDecay': wd,
                              'momentum': momentum, 'teacherTemperature': tau, 'imagesPerSec': round(speed, 2)}),
                  flush=True)
        if step % config['checkpointEvery'] == 0 and step < last:
            save()
    save()
    if rank == 0:
        print(json.dumps({'event': 'done', 'step': step, 'teacher': teacher_file, 'checkpoint': ckpt_file}),
              flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')


def features(args):
    """Teacher tokens of faces for the import check: `faces` is n×S×S×3 uint8 RGB, raw; writes
    every token after the final norm [n, 1 + g², dim] as little-endian float32."""
    tensors, meta = read_safetensors(args.weights)
    c = json.loads(meta['vit'])
    s = c['imageSize']
    raw = np.fromfile(args.faces, dtype=np.uint8)
    if raw.size % (s * s * 3):
        fail(f'{args.faces}: not a whole number of {s}×{s}×3 faces')
    x = torch.from_numpy(raw.reshape(-1, s, s, 3).copy()).permute(0, 3, 1, 2).float() / 255
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    with torch.no_grad():
        out = vit_from_engine(c, tensors).tokens(x)
    out.numpy().astype('<f4').tofile(args.out)


def step_check(args):
    """Recomputes one step of the studio's engine (written by tests/engine/torch/train-step.test.ts:
    step.json, the student's and teacher's flat weights, the centre, the views and the engine's
    loss and gradients) with this file's model and loss; prints the loss both ways and each
    tensor's largest gradient difference relative to its largest gradient; exits 1 above --tolerance."""
    def f32(name):
        return np.fromfile(os.path.join(args.dir, name), dtype='<f4')
    step = read_json(os.path.join(args.dir, 'step.json'), 'the engine step')
    model = step['model']

    def tensors(flat):
        return {e['name']: flat[e['offset']:e['offset'] + int(np.prod(e['shape']))].reshape(e['shape'])
                for e in step['entries']}
    student, teacher = Model(model), Model(model)
    student.load_state_dict(state_from_engine(model, tensors(f32('student.f32'))))
    teacher.load_state_dict(state_from_engine(model, tensors(f32('teacher.f32'))))
    g, ls, nl = step['globalSize'], step['localSize'], step['localCrops']
    views = [torch.from_numpy(f32('globals.f32')).view(-1, g, g, 3).permute(0, 3, 1, 2).contiguous()]
    if nl > 0:
        views.append(torch.from_numpy(f32('locals.f32')).view(-1, ls, ls, 3).permute(0, 3, 1, 2).contiguous())
    center = torch.from_numpy(f32('center.f32')).view(1, -1)
    with torch.no_grad():
        t_logits, _ = teacher(views[:1])
        targets = F.softmax((t_logits - center) / step['teacherTemperature'], -1)
    s_logits, _ = student(views)
    loss = dino_loss(targets, s_logits, 2 + nl, step['studentTemperature'])
    loss.backward()
    ours = engine_names(model, {n: q.grad for n, q in student.named_parameters()})
    theirs = tensors(f32('grads.f32'))
    rel = {n: float((torch.from_numpy(np.ascontiguousarray(theirs[n])) - q).abs().max() / (q.abs().max() + 1e-12))
           for n, q in ours.items()}
    worst = max(rel, key=rel.get)
    print(json.dumps({'loss': loss.item(), 'engineLoss': step['loss'], 'tensors': len(rel),
                      'worst': worst, 'worstRelative': rel[worst]}))
    loss_rel = abs(loss.item() - step['loss']) / abs(loss.item())
    raise SystemExit(0 if max(rel[worst], loss_rel) <= args.tolerance else 1)


def check_data(args):
    _, _, faces = load_inputs(args)
    print(json.dumps({'faces': len(faces), 'missing': 0}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = p.add_subparsers(dest='command', required=True)
    for name in ('train', 'check-data'):
        s = sub.add_parser(name)
        s.add_argument('--recipe', default=HERE, help='folder with config.json, recipe.json, manifest.jsonl')
        s.add_argument('--path-map', action='append', default=[], metavar='OLD=NEW',
                       help='rewrite image paths that start with OLD (repeatable; first match wins)')
    t = sub.choices['train']
    t.add_argument('--out', default=os.path.join(HERE, 'output'), help='checkpoints/ and teacher.safetensors')
    t.add_argument('--max-steps', type=int, default=None, help="stop at this step (overrides config's maxSteps)")
    t.add_argument('--loader-workers', type=int, default=4, help='image decoding processes per rank')
    c = sub.add_parser('step-check')
    c.add_argument('dir', help='folder with step.json and the engine step\'s tensors')
    c.add_argument('--tolerance', type=float, default=1e-4)
    f = sub.add_parser('features')
    f.add_argument('--weights', required=True)
    f.add_argument('--faces', required=True)
    f.add_argument('--out', required=True)
    args = p.parse_args()
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', torch.get_num_threads())))
    {'train': train, 'check-data': check_data, 'step-check': step_check, 'features': features}[args.command](args)


if __name__ == '__main__':
    main()
