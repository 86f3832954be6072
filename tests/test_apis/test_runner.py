import socket

import pytest
import torch.distributed as dist

from vpt_mm.apis.runner import close_distributed


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_close_distributed_leaves_the_group_once():
    if dist.is_initialized():
        pytest.fail('a process group was left over by another test')
    close_distributed()  # not distributed: nothing to do
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{free_port()}', rank=0,
        world_size=1)
    try:
        close_distributed()
        assert not dist.is_initialized()
        close_distributed()  # a second call is a no-op, not an error
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
