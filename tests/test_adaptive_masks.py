"""Tests of Dyna-Pruner's core pieces (masks, budgets, bucketed gathering)."""

import pytest
import torch

from sklearn_dynst._adaptive_masks import (MaskGenerator, budget_loss,
                                           gather_by_count,
                                           straight_through_mask)
from sklearn_dynst.backbones import TransformerBackbone


def test_straight_through_mask_is_hard_forward_and_soft_backward():
    scores = torch.tensor([[2.0, -1.0, 0.5, -3.0]], requires_grad=True)
    mask = straight_through_mask(scores, keep=2)
    assert mask.tolist() == [[1.0, 0.0, 1.0, 0.0]]
    (mask * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    # the soft mask is centred between the 2nd and 3rd scores: (0.5 - 1) / 2
    soft = torch.sigmoid(scores.detach() + 0.25)
    expected = soft * (1 - soft) * torch.tensor([1.0, 2.0, 3.0, 4.0])
    torch.testing.assert_close(scores.grad, expected)
    # adaptive: each sample keeps what scores above 0, counts differ
    adaptive = straight_through_mask(torch.tensor([[1.0, 2.0, -1.0],
                                                   [-1.0, -2.0, 0.5]]))
    assert adaptive.sum(1).tolist() == [2.0, 1.0]


def test_budget_loss_average_or_per_sample():
    busy_and_calm = torch.tensor([[1.0, 1.0, 1.0, 0.0],
                                  [1.0, 0.0, 0.0, 0.0]])
    # on average half is kept: the adaptive budget is met
    assert float(budget_loss(busy_and_calm, 0.5)) == 0.0
    # per sample each is 0.25 away from it
    assert float(budget_loss(busy_and_calm, 0.5, per_sample=True)) == \
        pytest.approx(0.0625)


def test_mask_generator_scores_in_context_and_learns():
    torch.manual_seed(0)
    generator = MaskGenerator(3)
    tokens = torch.randn(4, 6, 3)
    scores = generator(tokens)
    assert scores.shape == (4, 6)
    # the same token scores differently in another sample's context
    other = tokens.clone()
    other[:, 1:] += 5.0
    assert not torch.allclose(generator(other)[:, 0], scores[:, 0])
    # gradients reach the generator through the straight-through mask
    straight_through_mask(scores, keep=3).sum().backward()
    assert generator.token.weight.grad.abs().sum() > 0


def test_gather_by_count_runs_a_backbone_on_the_kept_tokens_only():
    torch.manual_seed(0)
    tokens = torch.randn(5, 7, 4)
    mask = torch.rand(5, 7) > 0.5
    mask[3] = False  # a sample that keeps nothing
    groups = gather_by_count(tokens, mask)
    rows = torch.cat([g[0] for g in groups]).sort().values
    assert rows.tolist() == list(range(5))
    backbone = TransformerBackbone(n_sensors=7, in_features=4, n_outputs=7,
                                   out_features=2).eval()
    for group_rows, kept, index, valid in groups:
        assert valid is None
        k = int(mask[group_rows[0]].sum())
        assert kept.shape == (len(group_rows), k, 4)
        for row, positions in zip(group_rows.tolist(), index.tolist()):
            assert positions == torch.nonzero(mask[row]).flatten().tolist()
        torch.testing.assert_close(
            kept, torch.stack([tokens[r][mask[r]] for r in
                               group_rows.tolist()]))
        if k == 0:
            continue
        # per-sample sensor indices: each sample's own kept sensors, and
        # the result equals running that sample alone on its kept tokens
        with torch.no_grad():
            batched = backbone(kept, index)
            for j, row in enumerate(group_rows.tolist()):
                alone = backbone(tokens[row][mask[row]][None],
                                 torch.nonzero(mask[row]).flatten())
                torch.testing.assert_close(batched[j:j + 1], alone,
                                           rtol=1e-4, atol=1e-5)
