export { selectDevice } from "./select-device.js";
export { describeDevice } from "./describe.js";
export { withBackend } from "./with-backend.js";
export { prepareWasmBackend } from "./wasm-backend.js";
export { registerWasmKernels, registeredKernels } from "./wasm-kernels/index.js";
export { useSimdKernels } from "./wasm-kernels/simd/kernels.js";
export { fusedGelu, fusedGeluGradient } from "./wasm-kernels/gelu.js";
export { automaticOrder, deviceChoices } from "./types.js";
export type { Device, DeviceChoice, DeviceInfo, SelectDeviceOptions } from "./types.js";
