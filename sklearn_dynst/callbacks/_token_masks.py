"""Logging of the share of tokens that input-adaptive masks keep."""

from skorch.callbacks import Callback

__all__ = ["KeptShareLogger"]


class KeptShareLogger(Callback):
    """Record the mean share of tokens kept per training epoch.

    Reads the straight-through mask that the network's token pruner (see
    :class:`~sklearn_dynst._adaptive_masks.TokenPruner`) used on each
    training batch and writes its mean over the epoch to the history as
    ``kept_share``.

    Attributes
    ----------
    kept_ : float
        Tokens kept so far in the current epoch's training batches.
    total_ : int
        Tokens those batches held.

    Examples
    --------
    >>> from sklearn_dynst.callbacks import KeptShareLogger
    >>> KeptShareLogger()
    <KeptShareLogger()>
    """

    def __repr__(self):
        return "<KeptShareLogger()>"

    def on_epoch_begin(self, net, **kwargs):
        self.kept_, self.total_ = 0.0, 0

    def on_batch_end(self, net, training=False, **kwargs):
        pruner = getattr(net.module_, "token_pruner", None)
        if not training or pruner is None or pruner.last_mask_ is None:
            return
        mask = pruner.last_mask_.detach()
        self.kept_ += float(mask.sum())
        self.total_ += mask.numel()

    def on_epoch_end(self, net, **kwargs):
        if self.total_:
            net.history.record("kept_share", self.kept_ / self.total_)
