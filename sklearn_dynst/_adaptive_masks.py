"""Dyna-Pruner's core: per-sample masks over sensor regions, as torch pieces.

Building blocks of input-adaptive pruning (papers/002), each usable and
tested on its own, and :class:`TokenPruner`, which puts them together
around a backbone; :class:`~sklearn_dynst.DynaPrunerRegressor` drives it.

* :class:`MaskGenerator`: a light scorer ``g(X; phi)`` of each sensor
  region of each sample.
* :func:`straight_through_mask`: hard 0/1 masks in the forward pass, the
  soft (sigmoid) mask's gradient in the backward pass; a fixed budget per
  sample (top-k) or a threshold (each sample keeps what scores above 0).
* :func:`budget_loss`: the penalty that holds the kept share at ``budget``
  on average (adaptive) or per sample (fixed).
* :func:`gather_by_count`: bucket the samples of a batch by their number of
  kept regions and gather those regions, so a backbone runs on the kept
  tokens only (real compute saved, no zero-multiplied tokens).
* :class:`TokenPruner`: the generator, the budget and the two forward
  paths: masked tokens in training (every token computed, masked ones
  absent from every mixing, gradients reach the generator), gathered kept
  tokens at inference (dropped ones never computed).
"""

import numpy as np
import torch
from torch import nn

from .backbones._blocks import linear_flops

__all__ = ["MaskGenerator", "straight_through_mask", "budget_loss",
           "gather_by_count", "bucketed_counts", "hard_mask", "TokenPruner"]


class MaskGenerator(nn.Module):
    """Score each token of each sample from the token and the whole input.

    ``score_i = w . GELU(A token_i + B mean_j token_j) + b``: a token is
    scored in the context of the sample (a storm cell matters more on a
    calm day). Cost ``O(n_tokens * in_features * hidden)``, small next to
    the backbone.

    Parameters
    ----------
    in_features : int
        Size of each token.
    hidden_size : int, default=16

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._adaptive_masks import MaskGenerator
    >>> MaskGenerator(6)(torch.zeros(2, 5, 6)).shape
    torch.Size([2, 5])
    """

    def __init__(self, in_features, hidden_size=16):
        super().__init__()
        self.token = nn.Linear(in_features, hidden_size)
        self.context = nn.Linear(in_features, hidden_size, bias=False)
        self.out = nn.Linear(hidden_size, 1)

    def forward(self, tokens):
        hidden = self.token(tokens) + self.context(
            tokens.mean(1, keepdim=True))
        return self.out(nn.functional.gelu(hidden)).squeeze(-1)

    def flops(self, n_tokens):
        """Multiply-add FLOPs of scoring one sample of ``n_tokens`` tokens."""
        return (linear_flops(self.token, n_tokens) + linear_flops(self.context)
                + linear_flops(self.out, n_tokens))


def hard_mask(scores, keep=None, threshold=0.0):
    """Which tokens each sample keeps (bool), at least one per sample.

    ``keep`` tokens per sample (the highest scores), or with ``keep=None``
    every token scoring above ``threshold`` plus each sample's best one.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._adaptive_masks import hard_mask
    >>> hard_mask(torch.tensor([[2.0, -1.0, 0.5], [-2.0, -1.0, -3.0]]))
    tensor([[ True, False,  True],
            [False,  True, False]])
    """
    if keep is not None:
        top = scores.topk(int(keep), dim=1).indices
        return torch.zeros_like(scores, dtype=torch.bool).scatter(1, top, True)
    best = scores == scores.amax(1, keepdim=True)
    return (scores > threshold) | best


def straight_through_mask(scores, keep=None, temperature=1.0, threshold=0.0):
    """Hard masks forward, soft gradients backward.

    Parameters
    ----------
    scores : Tensor of shape (batch, n_tokens)
        Logits of keeping each token.
    keep : int or None, default=None
        Tokens kept per sample (the highest scores), a fixed budget; None
        keeps every token whose score is above ``threshold`` (an adaptive
        budget), and each sample's best token.
    temperature : float, default=1.0
        Of the sigmoid whose gradient flows back.
    threshold : float, default=0.0
        Decision threshold of the adaptive budget.

    Returns
    -------
    mask : Tensor of shape (batch, n_tokens)
        0/1 values; its gradient is that of ``sigmoid((scores - centre) /
        temperature)``, centred on the decision boundary: ``threshold``, or
        with ``keep`` the midpoint between each sample's ``keep``-th and
        next score (so the gradient stays alive however the scores drift).

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._adaptive_masks import straight_through_mask
    >>> scores = torch.tensor([[2.0, -1.0, 0.5]], requires_grad=True)
    >>> straight_through_mask(scores, keep=1).detach()
    tensor([[1., 0., 0.]])
    >>> straight_through_mask(scores).detach()
    tensor([[1., 0., 1.]])
    """
    centre = threshold
    if keep is not None:
        ranked = scores.detach().topk(min(int(keep) + 1, scores.shape[1]),
                                      dim=1).values
        centre = ranked[:, -2:].mean(1, keepdim=True) \
            if int(keep) < scores.shape[1] else ranked[:, -1:] - 1.0
    soft = torch.sigmoid((scores - centre) / temperature)
    hard = hard_mask(scores.detach(), keep, threshold).to(soft.dtype)
    return hard + (soft - soft.detach())  # exactly hard forward


def budget_loss(mask, budget, per_sample=False):
    """Squared distance of the kept share from ``budget``.

    Parameters
    ----------
    mask : Tensor of shape (batch, n_tokens)
        Soft or straight-through mask.
    budget : float in (0, 1]
        Share of the tokens kept.
    per_sample : bool, default=False
        False: only the batch's mean share is held at the budget, so busy
        samples may keep more than calm ones (adaptive); True: every
        sample's share is.

    Returns
    -------
    loss : scalar Tensor

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._adaptive_masks import budget_loss
    >>> mask = torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    >>> float(budget_loss(mask, 0.5)), float(budget_loss(mask, 0.5, True))
    (0.0, 0.25)
    """
    share = mask.mean(1)
    if per_sample:
        return (share - budget).pow(2).mean()
    return (share.mean() - budget).pow(2)


def gather_by_count(tokens, mask, step=1):
    """Group samples by their number of kept tokens and gather those tokens.

    Parameters
    ----------
    tokens : Tensor of shape (batch, n_tokens, n_features)
    mask : bool Tensor of shape (batch, n_tokens)
    step : int, default=1
        Bucket width: samples whose counts round up to the same multiple of
        ``step`` form one group, gathered to that size, the surplus slots
        filled with dropped tokens that ``valid`` marks. A backbone given
        ``valid`` as its ``token_mask`` computes exactly what it would on
        each sample's kept tokens, in at most ``n_tokens / step + 1``
        calls per batch instead of one per distinct count.

    Returns
    -------
    groups : list of (rows, kept_tokens, kept_index, valid)
        ``rows`` (the samples of the group, LongTensor), ``kept_tokens`` of
        shape (len(rows), k, n_features), ``kept_index`` (len(rows), k):
        the original positions of the gathered tokens, kept ones first in
        their order, and ``valid`` (len(rows), k), True for the kept ones
        (None when all are). Samples that keep nothing form a group with
        ``k = 0``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._adaptive_masks import gather_by_count
    >>> tokens = torch.arange(12.0).reshape(3, 4, 1)
    >>> mask = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 0], [1, 1, 0, 0]]).bool()
    >>> [(rows.tolist(), index.tolist()) for rows, _, index, _ in
    ...  gather_by_count(tokens, mask)]
    [([1], [[1]]), ([0, 2], [[0, 2], [0, 1]])]
    >>> [(rows.tolist(), valid.tolist()) for rows, _, _, valid in
    ...  gather_by_count(tokens, mask, step=2)]
    [([0, 1, 2], [[True, True], [True, False], [True, True]])]
    """
    counts = mask.sum(1)
    on_host = counts.cpu().numpy()  # one device sync for the whole batch
    sizes = bucketed_counts(on_host, step, mask.shape[1])
    # stable sort puts the kept positions first, in their order
    order = torch.sort((~mask).to(torch.int8), dim=1, stable=True).indices
    groups = []
    for size in np.unique(sizes).tolist():
        members = np.flatnonzero(sizes == size)
        rows = torch.as_tensor(members, device=mask.device)
        positions = order[rows, :size]
        kept = tokens[rows[:, None], positions]
        valid = None
        if (on_host[members] < size).any():
            valid = torch.arange(size, device=mask.device) < counts[rows, None]
        groups.append((rows, kept, positions, valid))
    return groups


def bucketed_counts(counts, step, n_tokens):
    """Kept counts rounded up to a multiple of ``step``, at most
    ``n_tokens``: the sizes at which :func:`gather_by_count` computes
    (works on ndarrays and tensors).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst._adaptive_masks import bucketed_counts
    >>> bucketed_counts(np.array([1, 4, 5, 9]), 4, 10).tolist()
    [4, 4, 8, 10]
    """
    return (-(-counts // step) * step).clip(max=n_tokens)


class TokenPruner(nn.Module):
    """Input-adaptive token pruning around a backbone (Dyna-Pruner).

    A :class:`MaskGenerator` scores every token of every sample. In
    training the backbone computes every token under a straight-through
    mask (:func:`straight_through_mask`), masked tokens absent from every
    mixing, and :meth:`penalty` holds the kept share at ``budget``. At
    inference the hard mask decides, and the backbone runs on the kept
    tokens alone, gathered per group of samples with equal counts
    (:func:`gather_by_count`): dropped tokens cost nothing.

    Parameters
    ----------
    in_features : int
        Token size.
    budget : float in (0, 1]
        Share of the tokens kept, on average ("adaptive") or by every
        sample ("fixed").
    mode : {"adaptive", "fixed"}, default="adaptive"
        "adaptive" keeps the tokens scoring above ``threshold`` (a buffer,
        calibrated after training so that the training windows keep
        ``budget`` on average): busy samples may keep more than calm ones.
        "fixed" keeps the ``round(budget * n_tokens)`` best of each sample.
    hidden_size : int, default=16
        Of the generator.
    temperature : float, default=1.0
        Of the straight-through gradient.
    budget_weight : float, default=2.0
        Weight of :func:`budget_loss` in the training loss (adaptive mode;
        the fixed mode meets its budget by construction).
    n_buckets : int, default=16
        At inference, samples are grouped by kept count rounded up to
        multiples of ``n_tokens / n_buckets`` (see :func:`gather_by_count`):
        at most ``n_buckets + 1`` backbone calls per batch, each computing
        exactly the kept tokens' forecast.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._adaptive_masks import TokenPruner
    >>> from sklearn_dynst.backbones import TransformerBackbone
    >>> backbone = TransformerBackbone(6, 4, 6, 3).eval()
    >>> pruner = TokenPruner(4, budget=0.5, mode="fixed").eval()
    >>> tokens = torch.randn(2, 6, 4)
    >>> pruner.keep_mask(tokens).sum(1).tolist()
    [3, 3]
    >>> pruner(backbone, tokens, torch.arange(6)).shape
    torch.Size([2, 6, 3])
    """

    def __init__(self, in_features, budget, mode="adaptive", hidden_size=16,
                 temperature=1.0, budget_weight=2.0, n_buckets=16):
        super().__init__()
        if mode not in ("adaptive", "fixed"):
            raise ValueError(f"mode must be 'adaptive' or 'fixed'; got "
                             f"{mode!r}.")
        self.generator = MaskGenerator(in_features, hidden_size)
        self.budget = budget
        self.mode = mode
        self.temperature = temperature
        self.budget_weight = budget_weight
        self.n_buckets = n_buckets
        self.register_buffer("threshold", torch.zeros(()))
        self.last_mask_ = None

    def n_keep(self, n_tokens):
        """Tokens kept per sample in the fixed mode (None when adaptive)."""
        if self.mode != "fixed":
            return None
        return min(n_tokens, max(1, round(self.budget * n_tokens)))

    def bucket_width(self, n_tokens):
        """Width of the kept-count buckets of batched inference."""
        return max(1, -(-n_tokens // self.n_buckets))

    def keep_mask(self, tokens):
        """Hard bool mask ``(batch, n_tokens)`` of the tokens kept."""
        scores = self.generator(tokens)
        return hard_mask(scores, self.n_keep(scores.shape[1]),
                         self.threshold)

    def forward(self, backbone, tokens, sensor_index, group_size=None):
        """Run ``backbone`` on the kept ``tokens`` (batch, n_tokens,
        in_features) of the sensors ``sensor_index`` (n_tokens,); at
        inference the samples of equal bucketed count are computed together,
        in runs of at most ``group_size`` samples (None: all of them)."""
        if self.training:
            scores = self.generator(tokens)
            mask = straight_through_mask(
                scores, self.n_keep(scores.shape[1]), self.temperature,
                self.threshold)
            self.last_mask_ = mask
            return backbone(tokens, sensor_index, token_mask=mask)
        self.last_mask_ = None
        keep = self.keep_mask(tokens)
        if len(tokens) == 1:  # one window: its kept tokens, nothing to
            # group (the grouping ops cost 18% of a window's backbone call
            # on ERA5 patches)
            positions = torch.nonzero(keep[0]).flatten()
            return backbone(tokens[:, positions], sensor_index[positions])
        out = None
        step = self.bucket_width(tokens.shape[1])
        for rows, kept, positions, valid in gather_by_count(tokens, keep,
                                                            step):
            run = group_size or len(rows)
            for start in range(0, len(rows), run):
                part = slice(start, start + run)
                result = backbone(
                    kept[part], sensor_index[positions[part]],
                    token_mask=None if valid is None
                    else valid[part].to(kept.dtype))
                if out is None:
                    out = result.new_empty((len(tokens),) + result.shape[1:])
                out[rows[part]] = result
        return out

    def penalty(self):
        """``budget_weight`` times the budget loss of the last training
        batch (0 in the fixed mode and outside training)."""
        if self.last_mask_ is None or self.mode == "fixed":
            return torch.zeros((), device=self.threshold.device)
        return self.budget_weight * budget_loss(self.last_mask_, self.budget)

    @torch.no_grad()
    def calibrate(self, scores):
        """Set ``threshold`` so that the share of ``scores`` above it is
        ``budget`` (adaptive mode): the average budget is then met on the
        data the scores come from, whatever the training loss reached.

        Parameters
        ----------
        scores : Tensor or ndarray of shape (n_samples, n_tokens)
        """
        if self.mode == "fixed":
            return self
        if isinstance(scores, torch.Tensor):
            scores = scores.detach().cpu().numpy()
        values = np.asarray(scores, dtype=np.float64).ravel()
        threshold = np.quantile(values, 1.0 - self.budget) \
            if self.budget < 1 else values.min() - 1.0
        self.threshold.fill_(float(threshold))
        return self
