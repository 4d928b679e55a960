#!/usr/bin/python3
"""The probe bench's pre-training recipe in PyTorch (Debian python3-torch), as a cross-check of the
engine and a fast way to try recipes: about 5x the wasm engine's speed at 32 px on this machine.

The same DINO/ProS step as src-main/engine (ViT with trunc-normal 0.02 init, 3-layer head, L2
normalised bottleneck, weight-normalised prototypes, centred and sharpened teacher, cosine EMA,
AdamW with cosine lr and weight decay and no decay on biases and norms, per-tensor gradient clip,
multi-crop with the same augmentations) on the same face crops, written by
`npx tsx research/probe-dump.ts --size S`. Every --eval-every epochs it fits the same probe as
research:probe (class-weighted ridge on standardised features, strength picked on a held-out fifth,
balanced accuracy on the test faces) on the teacher's CLS and CLS + mean patch token, and prints a
JSON line with the difference from the random init it started from (percentage points).
Learning rates are per 256 images, as in the engine's config (`lr`).

Usage: OPENBLAS_NUM_THREADS=1 python3 research/probe_torch.py --size 32 --epochs 10 --lr 0.004 \
  --K 256 --tt 0.02 --tt-final 0.02 --locals 0 --gscale 0.5 1
(One torch and one OpenBLAS thread per run: two runs side by side use both cores best.)

Two variants beside the recipe: `--ibot W` adds an iBOT-style masked patch-token loss of weight W
(the student's global views get a share of their patches replaced by a learnt mask token; the
teacher's unmasked patch tokens, through the same head with their own centre, are its targets on
the masked positions), and `--supervised` trains the same ViT on the pool faces' own four labels
instead — a reference for how far features learnt *with* the labels get on the same probe.

`--step-check DIR` instead loads one engine step written by `npx tsx research/step-check.ts --out DIR`
(weights, centre, views, loss, gradients), maps the engine's tensors onto this model, recomputes
the loss and the student's gradients, prints the largest relative difference per tensor and exits
non-zero if any exceeds 1e-4.
"""
import os
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import argparse, json, math, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
a = p.add_argument
a('--size', type=int, default=32); a('--patch', type=int, default=8); a('--dim', type=int, default=192)
a('--depth', type=int, default=6); a('--heads', type=int, default=3)
a('--hidden', type=int, default=1024); a('--bottleneck', type=int, default=256); a('--K', type=int, default=1024)
a('--epochs', type=float, default=1); a('--batch', type=int, default=16); a('--lr', type=float, default=0.02)
a('--min-lr', type=float, default=1e-6); a('--warmup', type=float, default=0.1)
a('--wd', type=float, default=0.04); a('--wd-end', type=float, default=0.4)
a('--mom', type=float, default=0.99); a('--tt', type=float, default=0.04); a('--tt-final', type=float, default=0.04)
a('--tt-warmup', type=float, default=0.3); a('--ts', type=float, default=0.1); a('--center-mom', type=float, default=0.9)
a('--locals', type=int, default=2); a('--gscale', type=float, nargs=2, default=[0.35, 1.0])
a('--lscale', type=float, nargs=2, default=[0.05, 0.35]); a('--local-size', type=int, default=0)
a('--koleo', type=float, default=0); a('--clip', type=float, default=3.0); a('--freeze-protos', type=float, default=0)
a('--seed', type=int, default=1); a('--threads', type=int, default=1); a('--eval-every', type=float, default=1)
a('--color', type=float, default=1.0, help='scale of colour jitter strengths')
a('--grey', type=float, default=0.2); a('--blur', type=float, nargs=3, default=[1.0, 0.1, 0.5])
a('--solar', type=float, default=0.2); a('--tag', default='')
a('--patch-init', choices=['torch', 'normal'], default='torch',
  help="patch embedding init: PyTorch's conv default (DINO's) or trunc-normal 0.02 (the engine's)")
a('--ibot', type=float, default=0, help='weight of an iBOT-style masked patch-token loss (0: off)')
a('--mask-ratio', type=float, nargs=2, default=[0.1, 0.5]); a('--mask-prob', type=float, default=0.5)
a('--supervised', action='store_true',
  help='a ceiling, not pre-training: train the ViT on the pool faces\' own four labels (BCE on a linear '
  'head over the CLS of both global views), same views, optimiser and EMA; the teacher is probed as usual')
a('--data', default='.tmp/probe-faces', help='folder written by research/probe-dump.ts')
a('--step-check', default='', help='folder written by research/step-check.ts: compare one step')
args = p.parse_args()
if args.step_check:
    STEP = json.load(open(os.path.join(args.step_check, 'step.json')))
    _vit, _head = STEP['model']['vit'], STEP['model']['head']
    args.size, args.patch, args.dim = _vit['imageSize'], _vit['patchSize'], _vit['dim']
    args.depth, args.heads = _vit['depth'], _vit['heads']
    args.hidden, args.bottleneck, args.K = _head['hiddenDim'], _head['bottleneckDim'], _head['prototypes']
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
S = args.size


def load(name, n_labels=4):
    raw = np.fromfile(f'{args.data}/{name}{S}.u8', dtype=np.uint8)
    x = torch.from_numpy(raw.reshape(-1, S, S, 3).copy()).permute(0, 3, 1, 2).float() / 255
    y = np.fromfile(f'{args.data}/{name}.labels', dtype=np.uint8).reshape(-1, n_labels)
    return x, y


pool, poolY = load('pool')
trX, trY = load('train')
teX, teY = load('test')
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
GREYW = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)


def resized_crops(x, out, scale):
    b = x.shape[0]
    area = torch.empty(b).uniform_(*scale)
    logr = torch.empty(b).uniform_(math.log(3 / 4), math.log(4 / 3))
    r = torch.exp(logr)
    w = torch.sqrt(area * r).clamp(max=1.0)
    h = torch.sqrt(area / r).clamp(max=1.0)
    cx = (torch.rand(b) * (1 - w) + w / 2) * 2 - 1
    cy = (torch.rand(b) * (1 - h) + h / 2) * 2 - 1
    flip = torch.where(torch.rand(b) < 0.5, -1.0, 1.0)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = w * flip
    theta[:, 0, 2] = cx
    theta[:, 1, 1] = h
    theta[:, 1, 2] = cy
    grid = F.affine_grid(theta, (b, 3, out, out), align_corners=False)
    return F.grid_sample(x, grid, mode='bilinear', padding_mode='border', align_corners=False)


def colour(x, grey_p):
    b = x.shape[0]
    c = args.color
    on = (torch.rand(b, 1, 1, 1) < 0.8).float()
    br = 1 + on * torch.empty(b, 1, 1, 1).uniform_(-0.4 * c, 0.4 * c)
    x = (x * br).clamp(0, 1)
    ct = 1 + on * torch.empty(b, 1, 1, 1).uniform_(-0.4 * c, 0.4 * c)
    m = (x * GREYW).sum(1, keepdim=True).mean((2, 3), keepdim=True)
    x = ((x - m) * ct + m).clamp(0, 1)
    sat = 1 + on * torch.empty(b, 1, 1, 1).uniform_(-0.2 * c, 0.2 * c)
    g = (x * GREYW).sum(1, keepdim=True)
    x = ((x - g) * sat + g).clamp(0, 1)
    # hue: rotate the IQ plane of YIQ
    hue = on.view(b) * torch.empty(b).uniform_(-0.1 * c, 0.1 * c) * 2 * math.pi
    T = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    Ti = torch.linalg.inv(T)
    cos, sin = torch.cos(hue), torch.sin(hue)
    R = torch.zeros(b, 3, 3)
    R[:, 0, 0] = 1
    R[:, 1, 1] = cos; R[:, 1, 2] = -sin; R[:, 2, 1] = sin; R[:, 2, 2] = cos
    M = Ti @ R @ T  # b,3,3
    x = torch.einsum('bij,bjhw->bihw', M, x).clamp(0, 1)
    gr = (torch.rand(b, 1, 1, 1) < grey_p).float()
    g = (x * GREYW).sum(1, keepdim=True).expand(-1, 3, -1, -1)
    return gr * g + (1 - gr) * x


def blur(x, prob, sigma_scale):
    b, _, s, _ = x.shape
    on = torch.rand(b) < prob
    if not on.any():
        return x
    sig = torch.empty(b).uniform_(0.1, 2.0) * sigma_scale
    rad = max(1, math.ceil(3 * 2.0 * sigma_scale))
    t = torch.arange(-rad, rad + 1).float()
    k = torch.exp(-t.view(1, -1) ** 2 / (2 * sig.view(-1, 1) ** 2))
    k = k / k.sum(1, keepdim=True)
    k3 = k.repeat_interleave(3, 0)  # (3b, taps)
    y = x.reshape(1, 3 * b, s, s)
    y = F.pad(y, (rad, rad, 0, 0), mode='reflect' if rad < s else 'replicate')
    y = F.conv2d(y, k3.view(3 * b, 1, 1, -1), groups=3 * b)
    y = F.pad(y, (0, 0, rad, rad), mode='reflect' if rad < s else 'replicate')
    y = F.conv2d(y, k3.view(3 * b, 1, -1, 1), groups=3 * b).view(b, 3, s, s)
    return torch.where(on.view(b, 1, 1, 1), y, x)


def views(x):
    out = []
    for i, (bp, sp) in enumerate([(args.blur[0], 0.0), (args.blur[1], args.solar)]):
        v = colour(resized_crops(x, S, args.gscale), args.grey)
        v = blur(v, bp, S / 224)
        if sp > 0:
            sol = (torch.rand(x.shape[0], 1, 1, 1) < sp)
            v = torch.where(sol & (v >= 0.5), 1 - v, v)
        out.append((v - MEAN) / STD)
    locs = []
    ls = args.local_size or max(args.patch, (S * 96 // 224) // args.patch * args.patch)
    for _ in range(args.locals):
        v = blur(colour(resized_crops(x, ls, args.lscale), args.grey), args.blur[2], ls / 96)
        locs.append((v - MEAN) / STD)
    return out, locs


class Block(nn.Module):
    def __init__(s, d, h):
        super().__init__()
        s.h = h
        s.n1, s.qkv, s.proj = nn.LayerNorm(d, eps=1e-6), nn.Linear(d, 3 * d), nn.Linear(d, d)
        s.n2, s.f1, s.f2 = nn.LayerNorm(d, eps=1e-6), nn.Linear(d, d * 4), nn.Linear(d * 4, d)

    def forward(s, x):
        B, N, Dd = x.shape
        q, k, v = s.qkv(s.n1(x)).reshape(B, N, 3, s.h, Dd // s.h).permute(2, 0, 3, 1, 4)
        att = ((q @ k.transpose(-2, -1)) * (Dd // s.h) ** -0.5).softmax(-1)
        x = x + s.proj((att @ v).transpose(1, 2).reshape(B, N, Dd))
        return x + s.f2(F.gelu(s.f1(s.n2(x))))


class ViT(nn.Module):
    def __init__(s):
        super().__init__()
        d, g = args.dim, S // args.patch
        s.g = g
        s.embed = nn.Conv2d(3, d, args.patch, args.patch)
        s.cls = nn.Parameter(torch.zeros(1, 1, d))
        s.pos = nn.Parameter(torch.zeros(1, g * g + 1, d))
        s.blocks = nn.ModuleList([Block(d, args.heads) for _ in range(args.depth)])
        s.norm = nn.LayerNorm(d, eps=1e-6)
        if args.ibot > 0:
            s.mask_tok = nn.Parameter(torch.zeros(1, 1, d))
        if args.patch_init == 'normal':
            nn.init.trunc_normal_(s.embed.weight, std=0.02)
            nn.init.zeros_(s.embed.bias)
        nn.init.trunc_normal_(s.cls, std=0.02)
        nn.init.trunc_normal_(s.pos, std=0.02)
        for m in s.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def pos_for(s, n):
        if n == s.g:
            return s.pos
        grid = s.pos[:, 1:].reshape(1, s.g, s.g, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(n, n), mode='bicubic', align_corners=False)
        return torch.cat([s.pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, n * n, -1)], 1)

    def tokens(s, x, mask=None):
        t = s.embed(x).flatten(2).transpose(1, 2)
        if mask is not None:
            t = torch.where(mask.unsqueeze(-1), s.mask_tok.to(t.dtype), t)
        t = torch.cat([s.cls.expand(x.shape[0], -1, -1), t], 1) + s.pos_for(x.shape[-1] // args.patch)
        for blk in s.blocks:
            t = blk(t)
        return s.norm(t)

    def forward(s, x):
        return s.tokens(x)[:, 0]


class Head(nn.Module):
    def __init__(s):
        super().__init__()
        s.mlp = nn.Sequential(nn.Linear(args.dim, args.hidden), nn.GELU(), nn.Linear(args.hidden, args.hidden),
                              nn.GELU(), nn.Linear(args.hidden, args.bottleneck))
        for m in s.mlp:
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        s.proto = nn.Parameter(torch.randn(args.K, args.bottleneck) * 0.02)

    def forward(s, f):
        z = F.normalize(s.mlp(f), dim=-1)
        return z @ F.normalize(s.proto, dim=-1).t()


class Both(nn.Module):
    def __init__(s):
        super().__init__()
        s.vit, s.head = ViT(), Head()

    def forward(s, xs):
        f = torch.cat([s.vit(x) for x in xs])
        return s.head(f), f

    def with_patches(s, xs, masks=None):
        """Head logits of the CLS token and of every patch token of each view (masked if given)."""
        t = torch.cat([s.vit.tokens(x, None if masks is None else masks[i]) for i, x in enumerate(xs)])
        return s.head(t[:, 0]), s.head(t[:, 1:]), t[:, 0]


def draw_masks(b, n):
    """iBOT's masking, per image: with probability mask-prob, a random share of the n patches."""
    share = torch.empty(b).uniform_(*args.mask_ratio) * (torch.rand(b) < args.mask_prob)
    count = (share * n).round().long()
    rank = torch.rand(b, n).argsort(1).argsort(1)
    return rank < count.unsqueeze(1)


def engine_tensors(flat):
    """The engine's flat parameter array → {name: tensor} in its own shapes."""
    out = {}
    for e in STEP['entries']:
        n = int(np.prod(e['shape']))
        out[e['name']] = torch.from_numpy(flat[e['offset']:e['offset'] + n].reshape(e['shape']).copy())
    return out


def to_torch_names(E):
    """Engine tensors → this model's state dict. The engine's linear weights are [in, out]; its
    patch embedding is a linear layer on patches flattened (row, column, channel)."""
    p, d = args.patch, args.dim
    sd = {'vit.embed.weight': E['patch.w'].reshape(p, p, 3, d).permute(3, 2, 0, 1),
          'vit.embed.bias': E['patch.b'], 'vit.cls': E['cls'].reshape(1, 1, d),
          'vit.pos': E['pos'].reshape(1, -1, d), 'vit.norm.weight': E['norm.g'], 'vit.norm.bias': E['norm.b'],
          'head.proto': E['head.prototypes'].t()}
    for i in range(args.depth):
        b, t = f'block{i}.', f'vit.blocks.{i}.'
        for a, c in [('norm1', 'n1'), ('norm2', 'n2')]:
            sd[t + c + '.weight'], sd[t + c + '.bias'] = E[b + a + '.g'], E[b + a + '.b']
        for a, c in [('qkv', 'qkv'), ('proj', 'proj'), ('fc1', 'f1'), ('fc2', 'f2')]:
            sd[t + c + '.weight'], sd[t + c + '.bias'] = E[b + a + '.w'].t(), E[b + a + '.b']
    for a, j in [('fc1', 0), ('fc2', 2), ('fc3', 4)]:
        sd[f'head.mlp.{j}.weight'], sd[f'head.mlp.{j}.bias'] = E[f'head.{a}.w'].t(), E[f'head.{a}.b']
    return {k: v.contiguous() for k, v in sd.items()}


def step_check():
    """Recompute research/step-check.ts's step here and compare loss, entropy and every gradient."""
    def f32(name):
        return np.fromfile(os.path.join(args.step_check, name), dtype=np.float32)
    nets = []
    for name in ('student.f32', 'teacher.f32'):
        m = Both()
        m.load_state_dict(to_torch_names(engine_tensors(f32(name))))
        nets.append(m)
    st, te = nets
    g, ls_, nl = STEP['globalSize'], STEP['localSize'], STEP['localCrops']
    glob = torch.from_numpy(f32('globals.f32')).view(-1, g, g, 3).permute(0, 3, 1, 2).contiguous()
    loc = torch.from_numpy(f32('locals.f32')).view(-1, ls_, ls_, 3).permute(0, 3, 1, 2).contiguous()
    center_ = torch.from_numpy(f32('center.f32')).view(1, -1)
    tt, ts = STEP['settings']['teacherTemperature'], STEP['settings']['studentTemperature']
    with torch.no_grad():
        t_logits, _ = te(glob.chunk(2))
        targets = F.softmax((t_logits - center_) / tt, -1)
    s_logits = torch.cat([st(glob.chunk(2))[0], st(loc.chunk(nl))[0]])
    logp = F.log_softmax(s_logits / ts, -1).chunk(2 + nl)
    pairs = [(-(q * logp[v]).sum(-1)).mean() for gi, q in enumerate(targets.chunk(2))
             for v in range(2 + nl) if v != gi]
    loss = sum(pairs) / len(pairs)
    entropy = -(targets * torch.log(targets + 1e-12)).sum(-1).mean().item()
    loss.backward()
    ours = {n: q.grad for n, q in st.named_parameters()}
    # The engine's gradients through the same name mapping as its weights.
    theirs = to_torch_names(engine_tensors(f32('grads.f32')))
    rows = [('loss', abs(loss.item() - STEP['loss']) / abs(loss.item())),
            ('teacher entropy', abs(entropy - STEP['teacherEntropy']) / abs(entropy))]
    for n, q in ours.items():
        rows.append((n, ((theirs[n] - q).abs().max() / (q.abs().max() + 1e-12)).item()))
    worst = max(rows, key=lambda r: r[1])
    print(json.dumps({'loss': [round(loss.item(), 6), round(STEP['loss'], 6)],
                      'teacherEntropy': [round(entropy, 6), round(STEP['teacherEntropy'], 6)],
                      'tensors': len(ours), 'maxRelativeDifference': {r[0]: float('%.2e' % r[1]) for r in rows},
                      'worst': worst[0], 'worstRelative': float('%.2e' % worst[1])}))
    return worst[1] <= 1e-4


if args.step_check:
    raise SystemExit(0 if step_check() else 1)

student = Both()
teacher = Both()
teacher.load_state_dict(student.state_dict())
for q in teacher.parameters():
    q.requires_grad = False
random_vit = ViT()
random_vit.load_state_dict(student.vit.state_dict())

decay, no_decay = [], []
for n, q in student.named_parameters():
    (no_decay if q.ndim <= 1 or n.endswith('.bias') else decay).append(q)
sup_head = nn.Linear(args.dim, poolY.shape[1])
if args.supervised:
    decay.append(sup_head.weight)
    no_decay.append(sup_head.bias)
opt = torch.optim.AdamW([{'params': decay}, {'params': no_decay, 'weight_decay': 0.0}], lr=0, weight_decay=0)
center = torch.zeros(1, args.K)
center_p = torch.zeros(1, 1, args.K)

N = pool.shape[0]
steps_per_epoch = N // args.batch
total = int(args.epochs * steps_per_epoch)
peak = args.lr * args.batch / 256
warm = int(args.warmup * steps_per_epoch)


def cosine(step, start, end, total_steps):
    return end + 0.5 * (start - end) * (1 + math.cos(math.pi * step / max(1, total_steps)))


def lr_at(step):
    if step < warm:
        return peak * step / warm
    return cosine(step - warm, peak, args.min_lr, total - warm)


def tt_at(step):
    w = int(args.tt_warmup * total)
    return args.tt + (args.tt_final - args.tt) * min(1.0, step / w) if w > 0 else args.tt_final


def feats(vit, X):
    vit.eval()
    out = []
    with torch.no_grad():
        for i in range(0, X.shape[0], 256):
            t = vit.tokens((X[i:i + 256] - MEAN) / STD)
            out.append(torch.cat([t[:, 0], t[:, 1:].mean(1)], 1))
    vit.train()
    return torch.cat(out).double().numpy()


def ridge(X, y, lam):
    n, d = X.shape
    pos = y.sum()
    w = np.where(y == 1, n / (2 * max(1, pos)), n / (2 * max(1, n - pos)))
    Xb = np.hstack([X, np.ones((n, 1))])
    A = (Xb * w[:, None]).T @ Xb
    A[np.arange(d), np.arange(d)] += lam
    A[d, d] += 1e-9
    b = (Xb * w[:, None]).T @ np.where(y == 1, 1.0, -1.0)
    return np.linalg.solve(A, b)


def balanced(w, X, y):
    pred = (np.hstack([X, np.ones((X.shape[0], 1))]) @ w > 0).astype(int)
    return np.mean([np.mean(pred[y == c] == c) for c in (0, 1)])


rng_probe = np.random.RandomState(1)
held = rng_probe.permutation(trX.shape[0])[: trX.shape[0] // 5]
mask = np.zeros(trX.shape[0], bool)
mask[held] = True


def probe(Ftr, Fte, y_tr, y_te):
    mu, sd = Ftr.mean(0), Ftr.std(0) + 1e-6
    Ztr, Zte = (Ftr - mu) / sd, (Fte - mu) / sd
    best = max([0.1, 1, 10, 100, 1000, 10000], key=lambda l: balanced(ridge(Ztr[~mask], y_tr[~mask], l), Ztr[mask], y_tr[mask]))
    return balanced(ridge(Ztr, y_tr, best), Zte, y_te)


def eff_dims(F_):
    c = np.corrcoef(F_.T)
    c = np.nan_to_num(c)
    return F_.shape[1] ** 2 / (c ** 2).sum()


NAMES = ['smile', 'gender', 'glasses', 'frontal']  # probe-faces.ts ATTRIBUTES
D0 = args.dim


def evaluate(vit):
    Ftr, Fte = feats(vit, trX), feats(vit, teX)
    res = {}
    for j, nm in enumerate(NAMES):
        res[nm] = (round(100 * probe(Ftr[:, :D0], Fte[:, :D0], trY[:, j], teY[:, j]), 1),
                   round(100 * probe(Ftr, Fte, trY[:, j], teY[:, j]), 1))
    res['dims'] = (round(eff_dims(Ftr[:, :D0]), 1), round(eff_dims(Ftr), 1))
    return res


base = evaluate(random_vit)
print(json.dumps({'tag': args.tag, 'random': base, 'args': vars(args)}), flush=True)


def report(step, extra):
    r = evaluate(teacher.vit)
    delta = {k: (round(r[k][0] - base[k][0], 1), round(r[k][1] - base[k][1], 1)) for k in NAMES}
    print(json.dumps({'tag': args.tag, 'step': step, 'epoch': round(step / steps_per_epoch, 2), **extra,
                      'delta': delta, 'dims': r['dims'], 'teacher': {k: r[k] for k in NAMES}}), flush=True)


g = torch.Generator().manual_seed(args.seed)
order = torch.randperm(N, generator=g)
t0 = time.time()
eval_steps = max(1, int(args.eval_every * steps_per_epoch))
ent_avg = kl_avg = 0.0
for step in range(total):
    e = step % steps_per_epoch
    if e == 0 and step > 0:
        order = torch.randperm(N, generator=g)
    x = pool[order[e * args.batch:(e + 1) * args.batch]]
    with torch.no_grad():
        gl, lo = views(x)
    lr = lr_at(step)
    wd = cosine(step, args.wd, args.wd_end, total)
    for i, gp in enumerate(opt.param_groups):
        gp['lr'] = lr
        if i == 0:
            gp['weight_decay'] = wd
    b = x.shape[0]
    tt = tt_at(step)
    if args.supervised:
        yb = torch.from_numpy(poolY[order[e * args.batch:(e + 1) * args.batch].numpy()]).float()
        s_feat = torch.cat([student.vit(v) for v in gl])
        loss = F.binary_cross_entropy_with_logits(sup_head(s_feat), yb.repeat(len(gl), 1))
        ent = 0.0  # no teacher targets: the teacher is only the student's EMA here
    elif args.ibot > 0:
        n_p = (S // args.patch) ** 2
        masks = [draw_masks(x.shape[0], n_p) for _ in gl]
        with torch.no_grad():
            t_logits, tp_logits, _ = teacher.with_patches(gl)
            pt = F.softmax((t_logits - center) / tt, -1).chunk(2)
            ptp = F.softmax((tp_logits - center_p) / tt, -1).chunk(2)
        s_logits, sp_logits, s_feat = student.with_patches(gl, masks)
        lsp = F.log_softmax(sp_logits / args.ts, -1).chunk(2)
        patch_loss = 0.0
        for q, lsv, m in zip(ptp, lsp, masks):
            per = (-(q * lsv).sum(-1) * m).sum(-1) / m.sum(-1).clamp(min=1)
            patch_loss = patch_loss + per.mean() / 2
    else:
        with torch.no_grad():
            t_logits, _ = teacher(gl)
            pt = F.softmax((t_logits - center) / tt, -1).chunk(2)
        s_logits, s_feat = student(gl)
    if not args.supervised:
        if lo:
            s_logits = torch.cat([s_logits, student(lo)[0]])
        ls = F.log_softmax(s_logits / args.ts, -1).chunk(2 + len(lo))
        loss, n_terms = 0.0, 0
        for gi, q in enumerate(pt):
            for vi, lsv in enumerate(ls):
                if vi == gi:
                    continue
                loss = loss + (-(q * lsv).sum(-1)).mean()
                n_terms += 1
        loss = loss / n_terms
        if args.ibot > 0:
            loss = loss + args.ibot * patch_loss
        # Over both global views, as the engine reports it (view 2 alone, solarised, runs higher).
        ent = -sum((q * torch.log(q + 1e-12)).sum(-1).mean() for q in pt).item() / len(pt)
    if args.koleo > 0:
        f = F.normalize(s_feat[:b], dim=-1)
        dots = f @ f.t()
        dots.fill_diagonal_(-2)
        nn_d = torch.sqrt((2 - 2 * dots.max(1).values).clamp(min=1e-8))
        loss = loss + args.koleo * (-torch.log(nn_d + 1e-8).mean())
    opt.zero_grad()
    loss.backward()
    if step < args.freeze_protos * steps_per_epoch:
        student.head.proto.grad = None
    if args.clip > 0:
        for q in student.parameters():
            if q.grad is not None:
                nrm = q.grad.norm()
                if nrm > args.clip:
                    q.grad.mul_(args.clip / (nrm + 1e-6))
    opt.step()
    with torch.no_grad():
        m = cosine(step, args.mom, 1.0, total)
        for ps, pt_ in zip(student.parameters(), teacher.parameters()):
            pt_.mul_(m).add_(ps.detach(), alpha=1 - m)
        if not args.supervised:
            center = center * args.center_mom + t_logits.mean(0, keepdim=True) * (1 - args.center_mom)
        if args.ibot > 0:
            center_p = center_p * args.center_mom + tp_logits.mean((0, 1), keepdim=True) * (1 - args.center_mom)
    ent_avg = 0.9 * ent_avg + 0.1 * ent if step else ent
    kl_avg = 0.9 * kl_avg + 0.1 * (loss.item() - ent) if step else loss.item() - ent
    if (step + 1) % eval_steps == 0 or step + 1 == total:
        report(step + 1, {'entropy': round(ent_avg, 3), 'kl': round(kl_avg, 3),
                          'imgps': round((step + 1) * args.batch / (time.time() - t0), 1)})
