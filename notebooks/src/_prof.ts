import { nn, optim, randn, rand, tidy, F } from "denograd";
const x = rand([1347, 64]);
for (const [name, model] of [
  ["64-16-64 sig", new nn.Sequential(new nn.Linear(64, 16), new nn.ReLU(), new nn.Linear(16, 64), new nn.Sigmoid())],
  ["64-16-64", new nn.Sequential(new nn.Linear(64, 16), new nn.ReLU(), new nn.Linear(16, 64))],
  ["64-10", new nn.Sequential(new nn.Linear(64, 10))],
  ["64-64", new nn.Sequential(new nn.Linear(64, 64))],
] as const) {
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  for (const lossName of ["mse", "none"]) {
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) {
      const l = tidy(() => {
        opt.zeroGrad();
        const y = model.forward(x);
        const l = lossName === "mse" ? F.mseLoss(y, x.narrow(1, 0, y.shape[1])) : y.mean();
        l.backward();
        opt.step();
        return l;
      });
      await l.item();
      l.dispose();
    }
    console.log(name, lossName, ((performance.now() - t0) / 5).toFixed(0), "ms/step");
  }
}
