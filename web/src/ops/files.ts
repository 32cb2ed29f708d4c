/**
 * @module Files chosen in a form, as the JSON the operations routes take ({ fileName, contentBase64 }).
 */
export type UploadedFile = { fileName: string; contentBase64: string }

export async function readFiles(list: FileList | null): Promise<UploadedFile[]> {
  const files = [...(list ?? [])]
  return Promise.all(
    files.map(async (file) => {
      const bytes = new Uint8Array(await file.arrayBuffer())
      let binary = ''
      for (let i = 0; i < bytes.length; i += 0x8000)
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
      return { fileName: file.name, contentBase64: btoa(binary) }
    }),
  )
}
