"""torch 2.13's Muon Newton–Schulz (torch.optim._muon._zeropower_via_newtonschulz) with its bfloat16 cast replaced
by float32: gradstep iterates in f32, so its fixtures (scripts/gen-fixtures.py) and long runs (scripts/long-run.py)
compare against torch running this in place of its own."""
import torch


def ns_f32(grad, ns_coefficients, ns_steps, eps):
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    a, b, c = ns_coefficients
    ortho_grad = grad.float().clone()  # a new tensor, as .bfloat16() is (div_ below must not touch the momentum buffer)
    if grad.size(0) > grad.size(1):
        ortho_grad = ortho_grad.T
    ortho_grad.div_(ortho_grad.norm().clamp(min=eps))
    for _ in range(ns_steps):
        gram_matrix = ortho_grad @ ortho_grad.T
        gram_update = torch.addmm(gram_matrix, gram_matrix, gram_matrix, beta=b, alpha=c)
        ortho_grad = torch.addmm(ortho_grad, gram_update, ortho_grad, beta=a)
    if grad.size(0) > grad.size(1):
        ortho_grad = ortho_grad.T
    return ortho_grad
