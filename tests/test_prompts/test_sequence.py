"""The one counter, insertion and drop of prompt tokens."""
import torch

from vpt_mm.prompts.sequence import PromptSequenceMixin


class Host(PromptSequenceMixin):

    def __init__(self, extra, prompts):
        self.num_extra_tokens = extra
        self.num_prompt_tokens = prompts


def test_insert_replace_split_and_drop():
    host = Host(extra=1, prompts=2)
    x = torch.arange(4.).view(1, 4, 1)  # [CLS, patch, patch, patch]
    prompts = torch.full((1, 2, 1), -1.)
    with_prompts = host.insert_prompt_tokens(x, prompts)
    assert with_prompts.flatten().tolist() == [0, -1, -1, 1, 2, 3]
    replaced = host.insert_prompt_tokens(with_prompts, prompts * 2,
                                         replace=True)
    assert replaced.flatten().tolist() == [0, -2, -2, 1, 2, 3]
    extra, held, image = host.split_prompt_tokens(replaced)
    assert (extra.flatten().tolist(), held.flatten().tolist(),
            image.flatten().tolist()) == ([0], [-2, -2], [1, 2, 3])
    assert torch.equal(host.drop_prompt_tokens(replaced), x)
    _, none, image = host.split_prompt_tokens(x, holds_prompts=False)
    assert none.shape[1] == 0 and torch.equal(image, x[:, 1:])


def test_no_extra_tokens_puts_prompts_first():
    host = Host(extra=0, prompts=1)
    x = torch.ones(2, 3, 4)
    out = host.insert_prompt_tokens(x, torch.zeros(2, 1, 4))
    assert out[:, 0].abs().sum() == 0 and torch.equal(out[:, 1:], x)
