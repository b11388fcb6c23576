import time, torch, torch.nn as nn
def med(ts): ts = sorted(ts); return ts[len(ts)//2]
print("torch", torch.__version__)
for th in (2, 16):
    torch.set_num_threads(th)
    for mode in ("lstm", "gru"):
        torch.manual_seed(0)
        m = (nn.LSTM if mode == "lstm" else nn.GRU)(256, 512)
        x = torch.randn(100, 64, 256)
        f, b = [], []
        for i in range(9):
            m.zero_grad()
            t0 = time.perf_counter(); y, _ = m(x); t1 = time.perf_counter(); y.sum().backward(); t2 = time.perf_counter()
            if i >= 2: f.append(t1 - t0); b.append(t2 - t1)
        print(f"torch threads={th} {mode} i256 h512 t100 b64 train: forward {med(f)*1e3:.1f} ms, backward {med(b)*1e3:.1f} ms")
    V = 28
    torch.manual_seed(0)
    net = nn.LSTM(V, 256); head = nn.Linear(256, V)
    params = list(net.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=1.0)
    ts = []
    for i in range(60):
        X = torch.randint(0, V, (32, 35)); Yt = torch.randint(0, V, (32, 35))
        t0 = time.perf_counter()
        inp = nn.functional.one_hot(X.T, V).float()
        y, _ = net(inp)
        out = head(y.reshape(-1, 256))
        loss = nn.functional.cross_entropy(out, Yt.T.reshape(-1))
        opt.zero_grad(); loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0); opt.step()
        if i >= 10: ts.append(time.perf_counter() - t0)
    print(f"torch threads={th} d2l-shaped step (LSTM 256, one-hot 28, batch 32 x 35, SGD, clip): {med(ts)*1e3:.2f} ms = {32*35/med(ts):.0f} tokens/s")
