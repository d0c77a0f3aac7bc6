/**
 * Draws `text` as a QR code on `canvas`. The `qrcode` library is loaded here, lazily, so only the
 * QR paths (PC Native pay, Alipay precreate) download it.
 */
export async function drawQrCode(canvas: HTMLCanvasElement, text: string, sizePx = 220): Promise<void> {
  const { toCanvas } = await import('qrcode')
  await toCanvas(canvas, text, { width: sizePx, margin: 2, errorCorrectionLevel: 'M', color: { dark: '#000000', light: '#ffffff' } })
}
