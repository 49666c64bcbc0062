"""Export a PyTorch SDF network for `nsdf import`.

Trains a small MLP (3 -> 32 -> 32 -> 32 -> 1, ReLU hidden, tanh output) on the signed distance of
a sphere of radius 0.5 for a few hundred steps, then writes, into the directory given as the
only argument (default: the current directory):

  mlp.safetensors     the state_dict (safetensors.torch.save_file): net.<k>.weight with shape
                      (out, in) and net.<k>.bias with shape (out,), k the nn.Sequential index
  mlp.layers.json     the layer description `nsdf import --layers` reads
  mlp.expected.json   points and torch's float32 outputs there, to check the import against

Then:  nsdf import mlp.safetensors --layers mlp.layers.json -o mlp.nsdf
"""

import json
import os
import sys

import torch
from safetensors.torch import save_file


class SdfMlp(torch.nn.Module):
    def __init__(self, width=32, hidden=3):
        super().__init__()
        layers, inputs = [], 3
        for _ in range(hidden):
            layers += [torch.nn.Linear(inputs, width), torch.nn.ReLU()]
            inputs = width
        layers += [torch.nn.Linear(inputs, 1), torch.nn.Tanh()]
        self.net = torch.nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def layer_description(model):
    """Each nn.Linear's tensor names and the activation module that follows it."""
    names = {torch.nn.ReLU: "relu", torch.nn.Tanh: "tanh", torch.nn.Identity: "identity"}
    modules = list(model.net)
    layers = []
    for i, m in enumerate(modules):
        if isinstance(m, torch.nn.Linear):
            nxt = modules[i + 1] if i + 1 < len(modules) else torch.nn.Identity()
            layers.append({
                "weight": f"net.{i}.weight",
                "bias": f"net.{i}.bias" if m.bias is not None else None,
                "activation": names[type(nxt)],
            })
    return {"encoding": "none", "layers": layers}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    torch.manual_seed(0)
    model = SdfMlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(300):
        x = torch.rand(1024, 3) * 2 - 1
        target = x.norm(dim=1, keepdim=True) - 0.5  # negative inside, as nsdf expects
        loss = (model(x) - target).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(out, "mlp.safetensors"))
    with open(os.path.join(out, "mlp.layers.json"), "w") as f:
        json.dump(layer_description(model), f, indent=1)

    points = torch.rand(256, 3, generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.no_grad():
        outputs = model(points).squeeze(1)
    with open(os.path.join(out, "mlp.expected.json"), "w") as f:
        json.dump({"points": points.tolist(), "outputs": outputs.tolist()}, f)


if __name__ == "__main__":
    main()
