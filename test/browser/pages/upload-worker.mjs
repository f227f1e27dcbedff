// A module worker: the SDK's ESM build (dist/index.js, bundled with its dependencies by the spec
// as an app's bundler would) imported with `import`.
import * as api from '/sdk/index.js'
import '/worker-upload.js'

self.onmessage = ({ data }) => self.runUpload(api, data)
