"""Dyna-Pruner's core: per-sample masks over sensor regions, as torch pieces.

Building blocks of input-adaptive pruning (papers/002), each usable and
tested on its own; the estimator that drives them comes with issue 6.

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
"""

import torch
from torch import nn

__all__ = ["MaskGenerator", "straight_through_mask", "budget_loss",
           "gather_by_count"]


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


def straight_through_mask(scores, keep=None, temperature=1.0):
    """Hard masks forward, soft gradients backward.

    Parameters
    ----------
    scores : Tensor of shape (batch, n_tokens)
        Logits of keeping each token.
    keep : int or None, default=None
        Tokens kept per sample (the highest scores), a fixed budget; None
        keeps every token whose score is above 0 (an adaptive budget).
    temperature : float, default=1.0
        Of the sigmoid whose gradient flows back.

    Returns
    -------
    mask : Tensor of shape (batch, n_tokens)
        0/1 values; its gradient is that of ``sigmoid(scores /
        temperature)``.

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
    soft = torch.sigmoid(scores / temperature)
    if keep is None:
        hard = (scores > 0).to(soft.dtype)
    else:
        top = scores.topk(int(keep), dim=1).indices
        hard = torch.zeros_like(soft).scatter(1, top, 1.0)
    return hard + soft - soft.detach()


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


def gather_by_count(tokens, mask):
    """Group samples by their number of kept tokens and gather those tokens.

    Parameters
    ----------
    tokens : Tensor of shape (batch, n_tokens, n_features)
    mask : bool Tensor of shape (batch, n_tokens)

    Returns
    -------
    groups : list of (rows, kept_tokens, kept_index)
        ``rows`` (the samples of the group, LongTensor), ``kept_tokens`` of
        shape (len(rows), k, n_features) and ``kept_index`` (len(rows), k):
        the original positions of the kept tokens, in order. Samples that
        keep nothing form a group with ``k = 0``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._adaptive_masks import gather_by_count
    >>> tokens = torch.arange(12.0).reshape(3, 4, 1)
    >>> mask = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 0], [1, 1, 0, 0]]).bool()
    >>> [(rows.tolist(), index.tolist()) for rows, _, index in
    ...  gather_by_count(tokens, mask)]
    [([1], [[1]]), ([0, 2], [[0, 2], [0, 1]])]
    """
    counts = mask.sum(1)
    groups = []
    for count in torch.unique(counts).tolist():
        rows = torch.nonzero(counts == count).flatten()
        # stable sort puts the kept positions first, in their order
        order = torch.sort((~mask[rows]).to(torch.int8), dim=1,
                           stable=True).indices[:, :count]
        kept = torch.gather(
            tokens[rows], 1, order.unsqueeze(-1).expand(-1, -1,
                                                         tokens.shape[-1]))
        groups.append((rows, kept, order))
    return groups
