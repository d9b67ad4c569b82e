"""Building blocks shared by the backbones.

Each block takes the kept tokens with their sensor indices, either one index
vector for the whole batch ``(n_kept,)`` or one per sample ``(batch,
n_kept)`` (input-adaptive pruning gathers different tokens per sample), and
an optional ``token_mask`` ``(batch, n_tokens)`` of 0/1 values (with a
straight-through gradient) that makes a token count exactly as if it were
absent. Each block also counts its own multiply-add FLOPs per sample
(``flops``), the operations that :class:`torch.utils.flop_counter.
FlopCounterMode` counts: matrix products and convolutions.
"""

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["MLP", "TokenEmbedding", "AllSensorDecoder", "Attention",
           "EncoderLayer", "linear_flops"]


def linear_flops(module, n_rows=1):
    """FLOPs of the ``nn.Linear`` layers of ``module`` applied to ``n_rows``
    rows (2 per multiply-add; bias additions are not counted, as
    ``FlopCounterMode`` does not)."""
    layers = [module] if isinstance(module, nn.Linear) else [
        m for m in module.modules() if isinstance(m, nn.Linear)]
    return sum(2 * n_rows * m.in_features * m.out_features for m in layers)


class MLP(nn.Sequential):
    """Feed-forward stack: ``n_layers`` linear layers with GELU and dropout.

    Parameters
    ----------
    in_features, hidden_size, out_features : int
    n_layers : int, default=2
    dropout : float, default=0.0
    """

    def __init__(self, in_features, hidden_size, out_features, n_layers=2,
                 dropout=0.0):
        layers = []
        size = in_features
        for _ in range(n_layers - 1):
            layers += [nn.Linear(size, hidden_size), nn.GELU(),
                       nn.Dropout(dropout)]
            size = hidden_size
        layers.append(nn.Linear(size, out_features))
        super().__init__(*layers)


class TokenEmbedding(nn.Module):
    """Per-sensor token: a linear path plus a nonlinear path plus an identity.

    ``token_i = W x_i + MLP(x_i) + e_i`` where ``e_i`` is a learned embedding
    of sensor ``i`` (so a shared encoder still knows which sensor it reads).
    The linear path keeps the network at least as good as a linear model on
    smooth series; the cost is linear in the number of tokens.

    Parameters
    ----------
    n_sensors : int
        Number of sensors the embedding table covers.
    in_features : int
        Size of each input token.
    d_model : int
        Size of the output tokens.
    n_layers : int, default=2
        Layers of the nonlinear path.
    dropout : float, default=0.0
    """

    def __init__(self, n_sensors, in_features, d_model, n_layers=2,
                 dropout=0.0):
        super().__init__()
        self.linear = nn.Linear(in_features, d_model)
        self.mlp = MLP(in_features, d_model, d_model, n_layers, dropout)
        self.sensor_embedding = nn.Embedding(n_sensors, d_model)
        nn.init.normal_(self.sensor_embedding.weight, std=0.02)

    def forward(self, x, sensor_index):
        return (self.linear(x) + self.mlp(x)
                + self.sensor_embedding(sensor_index))

    def flops(self, n_kept):
        """FLOPs per sample for ``n_kept`` tokens."""
        return linear_flops(self, n_kept)


class AllSensorDecoder(nn.Module):
    """Decode the kept sensors' tokens into a forecast for *every* sensor.

    Output sensor ``j`` reads ``h_j = sum_i W[j, i] token_i + C mean_i
    token_i`` over the kept sensors ``i``: a learned spatial mixing
    (initialised to the identity when inputs and outputs are the same
    sensors, plus the normalised adjacency when one is given) and a global
    context of the whole network's state (e.g. how many sensors read
    nothing, a proxy of the time of day). Then ``y_j = V h_j + MLP(h_j +
    e_j)``. The cost is ``O(n_outputs * n_kept * d_model)``: it shrinks with
    the kept sensors.

    ``V`` and the head's first layer ``A`` are linear, so they may as well
    act on the tokens *before* the mixing: ``[V; A] h_j = sum_i W[j, i]
    [V; A] token_i + [V; A] c``. When few sensors are kept (``n_kept`` well
    below ``n_outputs``) projecting the ``n_kept`` tokens and mixing the
    projections costs fewer FLOPs than mixing the tokens and projecting the
    ``n_outputs`` results; the forward pass takes whichever order costs
    less for its batch (:meth:`projects_first`). Both give the same
    forecast up to rounding.

    Parameters
    ----------
    n_sensors : int
        Number of input sensors (columns of ``W``).
    n_outputs : int
        Number of sensors to forecast.
    d_model : int
        Token size.
    out_features : int
        Forecast values per output sensor.
    n_layers : int, default=2
        Layers of the nonlinear head.
    dropout : float, default=0.0
    adjacency : Tensor of shape (n_sensors, n_sensors), default=None
        Edge weights used to initialise the mixing.
    """

    def __init__(self, n_sensors, n_outputs, d_model, out_features,
                 n_layers=2, dropout=0.0, adjacency=None):
        super().__init__()
        mixing = torch.zeros(n_outputs, n_sensors)
        if n_outputs == n_sensors:
            mixing += torch.eye(n_sensors)
            if adjacency is not None:
                adjacency = torch.as_tensor(adjacency, dtype=torch.float32)
                degree = adjacency.sum(1, keepdim=True).clamp_min(1e-6)
                mixing += 0.5 * adjacency / degree
        else:
            mixing += 1.0 / n_sensors
        self.mixing = nn.Parameter(mixing)
        self.output_embedding = nn.Parameter(
            0.02 * torch.randn(n_outputs, d_model))
        self.context = nn.Linear(d_model, d_model)
        self.linear = nn.Linear(d_model, out_features)
        self.mlp = MLP(d_model, d_model, out_features, n_layers, dropout)

    def forward(self, tokens, sensor_index, token_mask=None):
        if token_mask is None:
            pooled = tokens.mean(1)
        else:  # masked tokens are absent from the mixing and the mean
            tokens = tokens * token_mask.unsqueeze(-1)
            pooled = tokens.sum(1) / token_mask.sum(1, keepdim=True).clamp_min(
                1.0)
        if sensor_index.dim() == 1:                        # (o, k)
            weights = self.mixing.index_select(1, sensor_index)
        else:  # each sample's own kept sensors: (b, o, k)
            weights = self.mixing[:, sensor_index].transpose(0, 1)
        context = self.context(pooled)
        if self.projects_first(tokens.shape[1], len(tokens)):
            return self._project_then_mix(weights, tokens, context)
        # one contiguous (b, o, d), so the linears below run fused (einsum's
        # strided result for shared sensors cost copies: ERA5 at sparsity
        # 0.9 predicts 10% faster, same numbers)
        hidden = torch.matmul(weights, tokens) + context.unsqueeze(1)
        return self.linear(hidden) + self.mlp(hidden + self.output_embedding)

    def _project_then_mix(self, weights, tokens, context):
        """The forward pass with ``V`` and ``A`` applied before the mixing."""
        first = self.mlp[0]
        # the context is one more token, which every output reads with
        # weight 1
        tokens = torch.cat([tokens, context.unsqueeze(1)], dim=1)
        weights = torch.cat([weights, weights.new_ones(
            weights.shape[:-1] + (1,))], dim=-1)
        shared = weights.dim() == 2

        def mix(layer, offset):
            """``layer``'s weight on the tokens, mixed, plus each output's
            ``offset``: (o, b, n) for shared sensors, else (b, o, n)."""
            values = tokens @ layer.weight.T
            if not shared:
                return torch.baddbmm(offset, weights, values)
            # one GEMM for the whole batch: per-sample products of 12 or 76
            # columns ran at a third to two thirds of its speed
            n_samples, n_tokens, width = values.shape
            mixed = weights @ values.transpose(0, 1).reshape(
                n_tokens, n_samples * width)
            return mixed.view(-1, n_samples, width).add_(offset.unsqueeze(1))

        n_outputs = len(self.output_embedding)
        linear = mix(self.linear, self.linear.bias.expand(n_outputs, -1))
        head = mix(first, torch.addmm(first.bias, self.output_embedding,
                                      first.weight.T))
        for layer in list(self.mlp)[1:]:
            head = layer(head)
        out = linear + head
        return out.transpose(0, 1) if shared else out

    def _costs(self, n_kept, batch_size):
        """FLOPs of the part the two orders differ in, mixing first and
        projecting first, for a batch."""
        n_outputs, d_model = self.output_embedding.shape
        width = self.linear.out_features + self.mlp[0].out_features
        mix_first = 2 * batch_size * n_outputs * d_model * (n_kept + width)
        project_first = (
            2 * batch_size * width * (n_kept + 1) * (d_model + n_outputs)
            + linear_flops(self.mlp[0], n_outputs))
        return mix_first, project_first

    def lr_scales(self, n_kept):
        """Learning-rate factors of this block's parameters, by name.

        Adam moves every weight by about the learning rate per step,
        whatever its fan-in, so a layer summing ``n`` inputs changes its
        outputs more per step the larger ``n`` is. The mixing sums the
        tokens of the ``n_kept`` sensors the network reads where every
        other layer sums ``d_model`` features: it trains at ``min(1,
        d_model / n_kept)`` times the learning rate (the fan-in rule of
        maximal-update parametrisation for Adam), so that a network that
        reads 1617 sensors does not re-mix every forecast from every
        sensor's noise within a few steps. Networks that read at most
        ``d_model`` sensors are unchanged. Dense test MAE without / with
        the factor (``benchmarks/bench_mixing_lr.py``): ERA5's 1617 cells
        0.948 / 0.867 K (seeds 0 and 1), METR-LA's 207 sensors 3.910 /
        3.872 mph (3 seeds); see the user guide, *Forecasting every
        sensor*.

        Parameters
        ----------
        n_kept : int
            Number of sensors the trained network is expected to read (all
            of them for a dense model; the kept ones after sensor pruning).

        Returns
        -------
        scales : dict of str to float
            ``{"mixing": factor}``; the estimators give the parameter its
            own optimizer group at ``lr * factor`` (see
            :mod:`sklearn_dynst.backbones`).
        """
        d_model = self.output_embedding.shape[1]
        return {"mixing": min(1.0, d_model / max(int(n_kept), 1))}

    def projects_first(self, n_kept, batch_size=1):
        """Whether a batch of ``batch_size`` samples with ``n_kept`` tokens
        projects before mixing (fewer FLOPs that way)."""
        mix_first, project_first = self._costs(n_kept, batch_size)
        return project_first < mix_first

    def flops(self, n_kept):
        """FLOPs of a one-sample batch with ``n_kept`` tokens (an upper
        bound per sample of larger batches, which may share the per-output
        term of projecting first)."""
        n_outputs = len(self.output_embedding)
        return (min(self._costs(n_kept, 1)) + linear_flops(self.context)
                + linear_flops(self.mlp, n_outputs)
                - linear_flops(self.mlp[0], n_outputs))


class Attention(nn.Module):
    """Multi-head attention of queries over tokens, maskable per sample.

    With a ``token_mask`` of 0/1 values the attention weights of each query
    are multiplied by the mask of each key and renormalised: a key with
    mask 0 gets no weight, exactly as if it were not there, while the
    mask's straight-through gradient still says how much the key would
    matter. A mask that needs no gradient (inference) goes to the fused
    kernel as a boolean key mask; without a mask it is plain scaled
    dot-product attention.

    Parameters
    ----------
    d_model : int
    n_heads : int
        Must divide ``d_model``.
    dropout : float, default=0.0
        On the attention weights, in training.
    project_queries : bool, default=True
        False takes the queries as already projected: learned queries of a
        decoder, whose projection would be a constant spent per sample.
    project_output : bool, default=True
        False leaves the output projection to the layer that follows.
    """

    def __init__(self, d_model, n_heads, dropout=0.0, project_queries=True,
                 project_output=True):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"n_heads={n_heads} must divide d_model="
                             f"{d_model}.")
        self.n_heads = n_heads
        self.d_model = d_model
        self.dropout = dropout
        self.query = nn.Linear(d_model, d_model) if project_queries else None
        self.key_value = nn.Linear(d_model, 2 * d_model)
        self.output = nn.Linear(d_model, d_model) if project_output else None

    def _heads(self, x):
        return x.unflatten(-1, (self.n_heads, -1)).transpose(-3, -2)

    def forward(self, queries, tokens, token_mask=None):
        """``queries`` (batch or 1, n_queries, d_model), ``tokens`` (batch,
        n_tokens, d_model), ``token_mask`` (batch, n_tokens) or None."""
        if self.query is not None:
            queries = self.query(queries)
        q = self._heads(queries).expand(tokens.shape[0], -1, -1, -1)
        k, v = self._heads(self.key_value(tokens)).chunk(2, dim=-1)
        dropout = self.dropout if self.training else 0.0
        if token_mask is None or not token_mask.requires_grad:
            # fused kernel; a constant 0/1 mask becomes a boolean key mask
            keys = None if token_mask is None else \
                token_mask[:, None, None, :] > 0
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=keys,
                                                 dropout_p=dropout)
        else:  # multiplicative: the mask's (straight-through) gradient flows
            weights = torch.softmax(
                q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1)
            weights = weights * token_mask[:, None, None, :]
            weights = weights / weights.sum(-1, keepdim=True).clamp_min(1e-12)
            out = F.dropout(weights, dropout, self.training) @ v
        out = out.transpose(-3, -2).flatten(-2)
        return out if self.output is None else self.output(out)

    def flops(self, n_queries, n_tokens):
        """FLOPs per sample: projections and both attention products."""
        flops = linear_flops(self.key_value, n_tokens)
        flops += 4 * n_queries * n_tokens * self.d_model
        if self.query is not None:
            flops += linear_flops(self.query, n_queries)
        if self.output is not None:
            flops += linear_flops(self.output, n_queries)
        return flops


class EncoderLayer(nn.Module):
    """Pre-norm transformer layer over the kept tokens, maskable per sample.

    Parameters
    ----------
    d_model, n_heads : int
    dropout : float, default=0.0
    """

    def __init__(self, d_model, n_heads, dropout=0.0):
        super().__init__()
        self.attention_norm = nn.LayerNorm(d_model)
        self.attention = Attention(d_model, n_heads, dropout)
        self.feed_forward_norm = nn.LayerNorm(d_model)
        self.feed_forward = MLP(d_model, 2 * d_model, d_model, 2, dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, tokens, token_mask=None):
        h = self.attention_norm(tokens)
        tokens = tokens + self.dropout(self.attention(h, h, token_mask))
        return tokens + self.dropout(self.feed_forward(
            self.feed_forward_norm(tokens)))

    def flops(self, n_tokens):
        """FLOPs per sample for ``n_tokens`` tokens."""
        return self.attention.flops(n_tokens, n_tokens) + linear_flops(
            self.feed_forward, n_tokens)
