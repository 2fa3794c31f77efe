"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.CLI = exports.KERNEL_HOOKS_DIR = exports.FIXTURES = exports.REPO_ROOT = void 0;
exports.fixture = fixture;
exports.kernelHooksAvailable = kernelHooksAvailable;
// Where tests find the repository, its fixtures and the shared kernel data (beside the clone).
const fs = __importStar(require("node:fs"));
const path = __importStar(require("node:path"));
const repoRoot_1 = require("../../common/repoRoot");
Object.defineProperty(exports, "REPO_ROOT", { enumerable: true, get: function () { return repoRoot_1.REPO_ROOT; } });
exports.FIXTURES = path.join(repoRoot_1.REPO_ROOT, 'test', 'fixtures');
exports.KERNEL_HOOKS_DIR = path.resolve(repoRoot_1.REPO_ROOT, '..', 'shared', 'kernel-hooks');
exports.CLI = path.join(repoRoot_1.REPO_ROOT, 'dist', 'cli.js');
function fixture(...parts) {
    return fs.readFileSync(path.join(exports.FIXTURES, ...parts), 'utf8');
}
/** Real kernel headers from ../shared/kernel-hooks, or null (with the reason printed) when absent. */
function kernelHooksAvailable() {
    return fs.existsSync(exports.KERNEL_HOOKS_DIR);
}
//# sourceMappingURL=paths.js.map